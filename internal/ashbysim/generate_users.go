package ashbysim

import (
	"strings"
)

// userInfo is the generated state of a user. Users embedded in other
// objects (credited users, authors, hiring teams, interviewers) always show
// this generated state, so a deactivation made by a change shows only in
// user.list.
type userInfo struct {
	first, last string
	email       string
	role        string
	enabled     bool
	updatedAt   int64
	manager     int // index of the manager, or -1
}

var globalRoles = []string{
	"Organization Admin", "Elevated Access", "Limited Access", "External Recruiter",
}

// userAt generates user i. Every user past the first reports to one of the
// users before it, so managerId always forms a tree.
func (o *org) userAt(i int) userInfo {
	r := o.rng(kindUser, i, 0)
	u := userInfo{first: pick(&r, firstNames), last: pick(&r, lastNames), manager: -1}
	u.email = emailLocalPart(u.first) + "." + emailLocalPart(u.last) + "@company.example"
	switch roll := r.intn(100); {
	case i == 0 || roll < 5:
		u.role = globalRoles[0]
	case roll < 35:
		u.role = globalRoles[1]
	case roll < 90:
		u.role = globalRoles[2]
	default:
		u.role = globalRoles[3]
	}
	u.enabled = !(i > 0 && i%9 == 5)
	u.updatedAt = o.spreadTime(kindUser, i, o.n.users, historyStart-365*dayMS, 365*dayMS)
	if i > 0 {
		u.manager = r.intn(1 + i/3)
	}
	return u
}

// user returns the generated state of any user. Users added by changes
// start enabled.
func (o *org) user(i int) userInfo {
	if i < len(o.users) {
		return o.users[i]
	}
	u := o.userAt(i)
	u.enabled = true
	return u
}

// writeUser writes the user.list object of user i.
func (o *org) writeUser(w *jsonWriter, i int) {
	u := o.user(i)
	if m := o.mut(kindUser, i); m != nil {
		u.updatedAt = m.updatedAt
		if m.archived {
			u.enabled = false
		}
	}
	o.writeUserObject(w, i, u)
}

// writeUserRef writes the generated state of user i where another object
// embeds a user.
func (o *org) writeUserRef(w *jsonWriter, i int) {
	o.writeUserObject(w, i, o.user(i))
}

func (o *org) writeUserObject(w *jsonWriter, i int, u userInfo) {
	w.open()
	o.writeUserFields(w, i, u)
	w.close()
}

// writeUserFields writes the fields of a user into an open object.
func (o *org) writeUserFields(w *jsonWriter, i int, u userInfo) {
	w.fieldUUID("id", o.id(kindUser, i))
	w.fieldString("firstName", u.first)
	w.fieldString("lastName", u.last)
	w.fieldString("email", u.email)
	w.fieldString("globalRole", u.role)
	w.fieldBool("isEnabled", u.enabled)
	w.fieldTime("updatedAt", u.updatedAt)
	if u.manager >= 0 {
		w.fieldUUID("managerId", o.id(kindUser, u.manager))
	}
}

// hiringTeamRoles are the role titles of hiring team members.
var hiringTeamRoles = []string{"Hiring Manager", "Recruiter", "Coordinator", "Sourcer"}

// writeHiringTeam writes the hiring team of job j: a hiring manager and a
// recruiter, sometimes with a coordinator and a sourcer.
func (o *org) writeHiringTeam(w *jsonWriter, j, version int) {
	r := o.rng(kindJob, j, version+0x4100)
	size := r.between(2, 4)
	first := r.intn(len(o.liveUsers))
	w.openArray()
	for k := range size {
		// Consecutive enabled users, so no one holds two roles.
		u := o.liveUsers[(first+k)%len(o.liveUsers)]
		info := o.user(u)
		w.open()
		w.fieldString("email", info.email)
		w.fieldString("firstName", info.first)
		w.fieldString("lastName", info.last)
		w.fieldString("role", hiringTeamRoles[k])
		w.fieldUUID("userId", o.id(kindUser, u))
		w.close()
	}
	w.closeArray()
}

// asciiFold maps common accented letters to ASCII for e-mail addresses.
var asciiFold = strings.NewReplacer(
	"á", "a", "à", "a", "ã", "a", "ä", "a", "å", "a", "é", "e", "è", "e", "ë", "e",
	"í", "i", "ï", "i", "ı", "i", "ó", "o", "ö", "o", "ø", "o", "ô", "o", "ú", "u",
	"ü", "u", "ç", "c", "ł", "l", "ñ", "n", "ř", "r", "š", "s", "ž", "z", "ě", "e",
	"Ł", "l", "Ö", "o", "Ø", "o", "Á", "a", "É", "e", "Í", "i", "Ó", "o", "Ú", "u",
	"Ü", "u", "Ç", "c", "Ñ", "n", "Š", "s", "Ž", "z",
)

// emailLocalPart turns a name into lowercase ASCII letters and hyphens.
func emailLocalPart(name string) string {
	folded := asciiFold.Replace(name)
	var b strings.Builder
	for _, c := range strings.ToLower(folded) {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
		case c == ' ' || c == '-':
			b.WriteByte('-')
		}
	}
	return b.String()
}
