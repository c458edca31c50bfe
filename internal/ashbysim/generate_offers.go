package ashbysim

// offerApplicationOf returns the application of any offer.
func (o *org) offerApplicationOf(f int) int {
	if f >= o.n.offers {
		return o.mut(kindOffer, f).parent
	}
	return o.offerApplication(f)
}

func (o *org) offerCreatedAt(f int) int64 {
	if f >= o.n.offers {
		return o.mut(kindOffer, f).createdAt
	}
	r := o.rng(kindOffer, f, 0xc7ea7e)
	applied := o.applicationCreatedAt(o.offerApplication(f))
	return laterOf(&r, applied, 10*dayMS, 60*dayMS, historyEnd-1)
}

// offerState is the status triple of an offer version.
type offerState struct {
	acceptance string
	status     string
	approval   string // empty for null
}

// offerStates pairs each acceptance status with an offer status and an
// approval status that can occur together.
var offerStates = []offerState{
	{"Declined", "CandidateRejected", "Approved"},
	{"Pending", "WaitingOnCandidateResponse", "Approved"},
	{"WaitingOnResponse", "WaitingOnCandidateResponse", ""},
	{"Created", "WaitingOnApprovalStart", ""},
	{"Created", "WaitingOnOfferApproval", "WaitingOnApprovals"},
	{"Created", "WaitingOnApprovalDefinition", ""},
	{"Cancelled", "OfferCancelled", "Declined"},
}

var acceptedOffer = offerState{"Accepted", "CandidateAccepted", "Approved"}

func (o *org) offerState(f int, r *rng) offerState {
	return o.offerStateAt(f, o.mut(kindOffer, f).versionOrZero(), r)
}

// offerStateAt returns the statuses of version v of offer f, drawn from
// r, the version's generator.
func (o *org) offerStateAt(f, v int, r *rng) offerState {
	if f < o.n.offers && v == 0 && o.offerAccepted(f) {
		return acceptedOffer
	}
	if v > 0 && r.chance(40) {
		return acceptedOffer
	}
	return pick(r, offerStates)
}

var offerFileNames = []string{"offer-letter.pdf", "offer-letter.docx", "offer-letter-signed.pdf"}

// offerVersionAt returns when version v of offer f was created: the
// offer's creation for version 0, else the change that made it.
func (o *org) offerVersionAt(f, v int) int64 {
	if v == 0 {
		return o.offerCreatedAt(f)
	}
	m := o.mut(kindOffer, f)
	for _, st := range m.stampList() {
		if st.version == v {
			return st.at
		}
	}
	return m.updatedAt
}

// writeOffer writes offer f as offer.list returns it: the offer with its
// latest version. Each update creates a new version with a new id.
func (o *org) writeOffer(w *jsonWriter, f int) {
	w.open()
	o.writeOfferFields(w, f)
	w.close()
}

// writeOfferInfo writes offer f as offer.info returns it: with every
// version, oldest first, and the offer form unless excluded.
func (o *org) writeOfferInfo(w *jsonWriter, f int, q *query) {
	w.open()
	o.writeOfferFields(w, f)
	w.key("versions")
	w.openArray()
	for v := range o.mut(kindOffer, f).versionOrZero() + 1 {
		r := o.rng(kindOffer, f, v)
		st := o.offerStateAt(f, v, &r)
		o.writeOfferVersion(w, f, v, st, &r)
	}
	w.closeArray()
	if !q.excludeFormDefinition {
		w.key("formDefinition")
		o.writeFormDefinition(w, "Offer details", offerFormFields, fieldsOfOfferForm)
	}
	w.close()
}

var offerFormFields = []formField{
	{"start_date", "Start date", "Date", true, nil},
	{"salary", "Base salary", "Currency", true, nil},
	{"signing_bonus", "Signing bonus", "Currency", false, nil},
	{"notes", "Notes for the candidate", "RichText", false, nil},
}

// writeOfferFields writes the fields offer.list shows into an open object.
func (o *org) writeOfferFields(w *jsonWriter, f int) {
	v := o.mut(kindOffer, f).versionOrZero()
	r := o.rng(kindOffer, f, v)
	st := o.offerState(f, &r)
	versionAt := o.offerVersionAt(f, v)

	w.fieldUUID("id", o.id(kindOffer, f))
	if st.acceptance == "Accepted" || st.acceptance == "Declined" {
		w.fieldTime("decidedAt", versionAt+int64(r.between(2, 10))*dayMS)
	}
	w.fieldUUID("applicationId", o.id(kindApplication, o.offerApplicationOf(f)))
	w.fieldString("acceptanceStatus", st.acceptance)
	w.fieldString("offerStatus", st.status)
	w.key("latestVersion")
	o.writeOfferVersion(w, f, v, st, &r)
}

// writeOfferVersion writes version v of offer f with statuses st, drawing
// its details from r.
func (o *org) writeOfferVersion(w *jsonWriter, f, v int, st offerState, r *rng) {
	versionAt := o.offerVersionAt(f, v)
	w.open()
	w.fieldUUID("id", o.id(kindOfferVersion, f<<6|v&63))
	start := (versionAt/dayMS + int64(r.between(30, 75))) * dayMS
	w.fieldTime("startDate", start)
	w.key("salary")
	w.open()
	currency := "USD"
	if roll := r.intn(10); roll >= 7 {
		currency = currencies[roll-6]
	}
	w.fieldString("currencyCode", currency)
	w.fieldInt("value", int64(60_000+r.intn(380)*500))
	w.close()
	w.fieldTime("createdAt", versionAt)
	w.key("customFields")
	o.writeCustomFieldValues(w, r, "Offer", f)
	w.key("fileHandles")
	w.openArray()
	files := r.intn(3)
	if st.acceptance == "Accepted" {
		files = 3
	}
	for k := range files {
		o.writeFileHandle(w, fileOfOffer, f, k, offerFileNames[k])
	}
	w.closeArray()
	w.key("author")
	o.writeUserRef(w, o.liveUsers[r.intn(len(o.liveUsers))])
	w.key("approvalStatus")
	if st.approval == "" {
		w.null()
	} else {
		w.string(st.approval)
	}
	w.close()
}
