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
	v := o.mut(kindOffer, f).versionOrZero()
	if f < o.n.offers && v == 0 && o.offerAccepted(f) {
		return acceptedOffer
	}
	if v > 0 && r.chance(40) {
		return acceptedOffer
	}
	return pick(r, offerStates)
}

var offerFileNames = []string{"offer-letter.pdf", "offer-letter.docx", "offer-letter-signed.pdf"}

// writeOffer writes offer f as offer.list returns it: the offer with its
// latest version. Each update creates a new version with a new id.
func (o *org) writeOffer(w *jsonWriter, f int) {
	m := o.mut(kindOffer, f)
	v := m.versionOrZero()
	r := o.rng(kindOffer, f, v)
	st := o.offerState(f, &r)
	createdAt := o.offerCreatedAt(f)
	versionAt := createdAt
	if v > 0 {
		versionAt = m.updatedAt
	}

	w.open()
	w.fieldUUID("id", o.id(kindOffer, f))
	if st.acceptance == "Accepted" || st.acceptance == "Declined" {
		w.fieldTime("decidedAt", versionAt+int64(r.between(2, 10))*dayMS)
	}
	w.fieldUUID("applicationId", o.id(kindApplication, o.offerApplicationOf(f)))
	w.fieldString("acceptanceStatus", st.acceptance)
	w.fieldString("offerStatus", st.status)

	w.key("latestVersion")
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
	o.writeCustomFieldValues(w, &r, "Offer", f)
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
	w.close()
}
