package ashbysim

import (
	"strconv"
)

// Salts for version-independent choices about a candidate.
const (
	saltName = iota + 0xca00
	saltEmails
	saltPhones
	saltSocial
	saltTags
	saltFiles
	saltContact
)

// candidateName returns indexes into firstNames and lastNames. Names never
// change, so a candidate keeps its name across updates.
func (o *org) candidateName(c int) (first, last int) {
	h := o.h(kindCandidate, c, saltName)
	return int(h % uint64(len(firstNames))), int(h >> 32 % uint64(len(lastNames)))
}

// listCount returns how many entries a candidate list has in a version.
// Each update adds one modulo four, so an updated candidate always has a
// different number of e-mail addresses, phone numbers, social links and
// tags than before.
func (o *org) listCount(c, version int, salt uint64) int {
	return int((o.h(kindCandidate, c, salt) + uint64(version)) % 4)
}

func (o *org) candidateCreatedAt(c int) int64 {
	if c >= o.n.candidates {
		return o.mut(kindCandidate, c).createdAt
	}
	return o.spreadTime(kindCandidate, c, o.n.candidates, historyStart, historySpan)
}

var contactTypes = []string{"Personal", "Work", "Other"}

// writeEmail writes e-mail address k of candidate c; address 0 is the
// primary one. Addresses depend only on (c, k), so the primary address
// stays the same while the candidate has one.
func (o *org) writeEmail(w *jsonWriter, c, k int) {
	fi, li := o.candidateName(c)
	h := o.h(kindCandidate, c*4+k, saltContact)
	var local string
	switch k {
	case 0:
		local = o.firstLocal[fi] + "." + o.lastLocal[li]
	case 1:
		local = o.firstLocal[fi] + o.lastLocal[li][:1]
	default:
		local = o.lastLocal[li] + "." + o.firstLocal[fi]
	}
	w.open()
	w.key("value")
	w.sep()
	b := append(w.buf, '"')
	b = append(b, local...)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, '@')
	b = append(b, exampleDomains[h%uint64(len(exampleDomains))]...)
	w.buf = append(b, '"')
	w.comma = true
	w.fieldString("type", contactTypes[int(h>>8%3)])
	w.fieldBool("isPrimary", k == 0)
	w.close()
}

// writePhone writes phone number k of candidate c in E.164 form within the
// fictional +1 555 range.
func (o *org) writePhone(w *jsonWriter, c, k int) {
	h := o.h(kindCandidate, c*4+k, saltPhones)
	w.open()
	w.key("value")
	w.sep()
	b := append(w.buf, `"+1555`...)
	digits := 1_000_000 + h%9_000_000
	b = strconv.AppendUint(b, digits, 10)
	w.buf = append(b, '"')
	w.comma = true
	w.fieldString("type", contactTypes[int(h>>8%3)])
	w.fieldBool("isPrimary", k == 0)
	w.close()
}

var socialTypes = []string{
	"LinkedIn", "GitHub", "Twitter", "Medium", "StackOverflow", "YouTube", "CodePen", "Website",
}

var socialPrefixes = []string{
	"https://www.linkedin.com/in/", "https://github.com/", "https://twitter.com/",
	"https://medium.com/@", "https://stackoverflow.com/users/", "https://www.youtube.com/@",
	"https://codepen.io/", "https://www.example.com/~",
}

func (o *org) writeSocialLinks(w *jsonWriter, c, version int) {
	fi, li := o.candidateName(c)
	n := o.listCount(c, version, saltSocial)
	start := int(o.h(kindCandidate, c, saltSocial+0x100) % uint64(len(socialTypes)))
	w.openArray()
	for k := range n {
		t := (start + k) % len(socialTypes)
		w.open()
		w.fieldString("type", socialTypes[t])
		handle := o.firstLocal[fi] + "-" + o.lastLocal[li] + "-" + strconv.Itoa(c)
		w.fieldString("url", socialPrefixes[t]+handle)
		w.close()
	}
	w.closeArray()
}

var fileNames = []string{"resume.pdf", "cover-letter.docx", "portfolio.pdf", "references.pdf"}

const handleAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// File owners, part of a file handle's id.
const (
	fileOfCandidate = iota
	fileOfOffer
)

// writeFileHandle writes file k of a candidate or an offer. The handle is
// an opaque base64url-like string, as Ashby's are.
func (o *org) writeFileHandle(w *jsonWriter, owner, index, k int, name string) {
	w.open()
	w.fieldUUID("id", o.id(kindFileHandle, (index*4+k)*2+owner))
	w.fieldString("name", name)
	w.key("handle")
	w.sep()
	b := append(w.buf, `"eyJoYW5kbGUiOnsi`...)
	h := o.h(kindFileHandle, (index*4+k)*2+owner, saltFiles)
	for range 32 {
		b = append(b, handleAlphabet[h&63])
		h = mix64(h)
	}
	w.buf = append(b, '"')
	w.comma = true
	w.close()
}

var fraudStatuses = []string{
	"Unreviewed", "NotFraudulent", "PassedFraudCheck", "Unsure", "Fraudulent",
}

// writeCandidate writes candidate c as candidate.list returns it.
func (o *org) writeCandidate(w *jsonWriter, c int) {
	m := o.mut(kindCandidate, c)
	v := m.versionOrZero()
	r := o.rng(kindCandidate, c, v)
	fi, li := o.candidateName(c)
	createdAt := o.candidateCreatedAt(c)
	updatedAt := laterOf(&r, createdAt, 0, 60*dayMS, historyEnd-1)
	if m != nil {
		updatedAt = m.updatedAt
	}

	w.open()
	w.fieldUUID("id", o.id(kindCandidate, c))
	w.fieldTime("createdAt", createdAt)
	w.fieldTime("updatedAt", updatedAt)
	w.fieldString("name", firstNames[fi]+" "+lastNames[li])

	emails := o.listCount(c, v, saltEmails)
	if emails > 0 {
		w.key("primaryEmailAddress")
		o.writeEmail(w, c, 0)
	}
	w.key("emailAddresses")
	w.openArray()
	for k := range emails {
		o.writeEmail(w, c, k)
	}
	w.closeArray()
	phones := o.listCount(c, v, saltPhones)
	if phones > 0 {
		w.key("primaryPhoneNumber")
		o.writePhone(w, c, 0)
	}
	w.key("phoneNumbers")
	w.openArray()
	for k := range phones {
		o.writePhone(w, c, k)
	}
	w.closeArray()
	w.key("socialLinks")
	o.writeSocialLinks(w, c, v)

	w.key("tags")
	w.openArray()
	tags := o.listCount(c, v, saltTags)
	firstTag := r.intn(o.n.tags)
	for k := range tags {
		o.writeTag(w, (firstTag+k*7)%o.n.tags, false)
	}
	w.closeArray()

	if r.chance(80) {
		w.fieldString("position", pick(&r, positions))
	}
	if r.chance(75) {
		w.fieldString("company", pick(&r, companies))
	}
	if r.chance(60) {
		w.fieldString("school", pick(&r, schools))
	}

	w.key("applicationIds")
	w.openArray()
	for _, a := range o.candidateApps(c) {
		w.uuid(o.id(kindApplication, a))
	}
	w.closeArray()

	files := r.intn(4)
	if files > 0 {
		w.key("resumeFileHandle")
		o.writeFileHandle(w, fileOfCandidate, c, 0, fileNames[0])
	}
	w.key("fileHandles")
	w.openArray()
	for k := range files {
		o.writeFileHandle(w, fileOfCandidate, c, k, fileNames[k])
	}
	w.closeArray()

	w.key("customFields")
	o.writeCustomFieldValues(w, &r, "Candidate", c)

	w.key("profileUrl")
	w.sep()
	w.buf = append(w.buf, `"https://app.ashbyhq.com/candidates/`...)
	w.buf = appendUUID(w.buf, o.id(kindCandidate, c))
	w.buf = append(w.buf, '"')
	w.comma = true

	if r.chance(85) {
		w.key("source")
		o.writeSource(w, liveSource(&r))
	}
	if r.chance(35) {
		w.key("creditedToUser")
		o.writeUserRef(w, o.liveUsers[r.intn(len(o.liveUsers))])
	}
	home := r.intn(len(cities))
	if r.chance(70) {
		w.fieldString("timezone", cities[home].timezone)
	}
	if r.chance(80) {
		o.writeCandidateLocation(w, home, r.chance(70))
	}
	w.key("fraudStatus")
	if roll := r.intn(100); roll < 50 {
		w.null()
	} else {
		w.string(fraudStatuses[min((roll-50)/10, len(fraudStatuses)-1)])
	}
	w.close()
}

// writeCandidateLocation writes the location field of a candidate: a city
// with its country, and the region when withRegion is set.
func (o *org) writeCandidateLocation(w *jsonWriter, home int, withRegion bool) {
	c := cities[home]
	w.key("location")
	w.open()
	w.fieldUUID("id", o.id(kindCandidateLocation, home))
	summary := c.country + ", " + c.name
	if withRegion {
		summary = c.country + ", " + c.region + ", " + c.name
	}
	w.fieldString("locationSummary", summary)
	w.key("locationComponents")
	w.openArray()
	w.open()
	w.fieldString("type", "Country")
	w.fieldString("name", c.country)
	w.close()
	if withRegion {
		w.open()
		w.fieldString("type", "Region")
		w.fieldString("name", c.region)
		w.close()
	}
	w.open()
	w.fieldString("type", "City")
	w.fieldString("name", c.name)
	w.close()
	w.closeArray()
	w.close()
}

// writeCandidateSummary writes the candidate object embedded in an
// application: id, name and the current primary e-mail and phone.
func (o *org) writeCandidateSummary(w *jsonWriter, c int) {
	v := o.mut(kindCandidate, c).versionOrZero()
	fi, li := o.candidateName(c)
	w.open()
	w.fieldUUID("id", o.id(kindCandidate, c))
	w.fieldString("name", firstNames[fi]+" "+lastNames[li])
	if o.listCount(c, v, saltEmails) > 0 {
		w.key("primaryEmailAddress")
		o.writeEmail(w, c, 0)
	}
	if o.listCount(c, v, saltPhones) > 0 {
		w.key("primaryPhoneNumber")
		o.writePhone(w, c, 0)
	}
	w.close()
}
