package ashbysim

func (o *org) scheduleApplicationOf(s int) int {
	if s >= o.n.schedules {
		return o.mut(kindInterviewSchedule, s).parent
	}
	return o.scheduleApplication(s)
}

func (o *org) scheduleCreatedAt(s int) int64 {
	if s >= o.n.schedules {
		return o.mut(kindInterviewSchedule, s).createdAt
	}
	r := o.rng(kindInterviewSchedule, s, 0xc7ea7e)
	applied := o.applicationCreatedAt(o.scheduleApplication(s))
	return laterOf(&r, applied, dayMS, 20*dayMS, historyEnd-1)
}

// scheduleStatuses is weighted towards finished and scheduled interviews.
var scheduleStatuses = []string{
	"Complete", "Complete", "Complete", "Complete", "Scheduled", "Scheduled",
	"WaitingOnFeedback", "WaitingOnFeedback", "Cancelled", "NeedsScheduling",
	"WaitingOnCandidateAvailability", "CandidateAvailabilitySubmitted",
	"WaitingOnCandidateBooking", "OnHold", "Unknown",
}

// scheduleStage returns the interview stage of schedule s: one of the
// interviewing stages of its application's job plan.
func (o *org) scheduleStage(s int) uuid {
	plan := o.jobPlan(o.applicationJob(o.scheduleApplicationOf(s)))
	return o.stageID(plan, 2+int(o.h(kindInterviewSchedule, s, 0x57a6)%3))
}

var eventLocations = []string{"Google Meet", "Zoom", "Office - Room 3", "Phone"}

// writeInterviewSchedule writes schedule s as interviewSchedule.list
// returns it, with its events inline.
func (o *org) writeInterviewSchedule(w *jsonWriter, s int) {
	m := o.mut(kindInterviewSchedule, s)
	v := m.versionOrZero()
	r := o.rng(kindInterviewSchedule, s, v)
	status := pick(&r, scheduleStatuses)
	createdAt := o.scheduleCreatedAt(s)
	updatedAt := laterOf(&r, createdAt, 0, 5*dayMS, historyEnd-1)
	if m != nil {
		updatedAt = m.updatedAt
	}
	id := o.id(kindInterviewSchedule, s)

	w.open()
	w.fieldUUID("id", id)
	w.fieldString("status", status)
	w.fieldUUID("applicationId", o.id(kindApplication, o.scheduleApplicationOf(s)))
	w.fieldUUID("interviewStageId", o.scheduleStage(s))
	if r.chance(80) {
		w.key("scheduledBy")
		o.writeUserRef(w, o.liveUsers[r.intn(len(o.liveUsers))])
	}
	w.fieldTime("createdAt", createdAt)
	w.fieldTime("updatedAt", updatedAt)
	events := 1 + int((o.h(kindInterviewSchedule, s, 0xe7)+uint64(v))%3)
	switch status {
	case "NeedsScheduling", "WaitingOnCandidateAvailability",
		"CandidateAvailabilitySubmitted", "WaitingOnCandidateBooking":
		events = 0
	}
	w.key("interviewEvents")
	w.openArray()
	start := (createdAt/hourMS + int64(r.between(48, 240))) * hourMS
	for e := range events {
		o.writeInterviewEvent(w, &r, s, e, id, status, eventTimes{
			created: createdAt, updated: updatedAt,
			start: start + int64(e)*75*60*1000,
		})
	}
	w.closeArray()
	w.close()
}

type eventTimes struct{ created, updated, start int64 }

func (o *org) writeInterviewEvent(w *jsonWriter, r *rng, s, e int, schedule uuid,
	status string, t eventTimes) {
	eventID := o.id(kindInterviewEvent, s*4+e)
	interviewers := r.between(1, 3)
	first := r.intn(len(o.liveUsers))
	var users [3]int
	for k := range interviewers {
		users[k] = o.liveUsers[(first+k)%len(o.liveUsers)]
	}

	w.open()
	w.fieldUUID("id", eventID)
	w.fieldUUID("interviewId", o.id(kindInterview, r.intn(len(interviewTitles))))
	w.fieldUUID("interviewScheduleId", schedule)
	w.key("interviewerUserIds")
	w.openArray()
	for _, u := range users[:interviewers] {
		w.uuid(o.id(kindUser, u))
	}
	w.closeArray()
	w.key("interviewers")
	w.openArray()
	for k, u := range users[:interviewers] {
		w.open()
		o.writeUserFields(w, u, o.user(u))
		w.key("trainingRole")
		switch roll := r.intn(10); {
		case k > 0 && roll == 0:
			w.string("Shadow")
		case k > 0 && roll == 1:
			w.string("Reverse-Shadow")
		default:
			w.null()
		}
		w.key("interviewerPool")
		if r.chance(40) {
			o.writeInterviewerPool(w, r.intn(len(poolTitles)))
		} else {
			w.null()
		}
		w.fieldBool("isFeedbackRequired", k == 0 || r.chance(50))
		w.close()
	}
	w.closeArray()
	w.fieldTime("createdAt", t.created)
	w.fieldTime("updatedAt", t.updated)
	w.fieldTime("startTime", t.start)
	w.fieldTime("endTime", t.start+int64(pick(r, []int{30, 45, 60}))*60*1000)
	w.key("feedbackLink")
	w.sep()
	w.buf = append(w.buf, `"https://app.ashbyhq.com/interview-briefings/`...)
	w.buf = appendUUID(w.buf, eventID)
	w.buf = append(w.buf, `/feedback"`...)
	w.comma = true
	place := r.intn(len(eventLocations) + 1)
	w.key("location")
	if place == len(eventLocations) {
		w.null()
	} else {
		w.string(eventLocations[place])
	}
	w.key("meetingLink")
	if place <= 1 {
		w.string("https://meet.example.com/" + o.id(kindInterviewEvent, s*4+e).String()[:13])
	} else {
		w.null()
	}
	w.key("interviewerCalendarEventId")
	if r.chance(50) {
		w.string("cal_" + o.id(kindInterviewEvent, s*4+e).String()[24:])
	} else {
		w.null()
	}
	w.fieldBool("hasSubmittedFeedback", status == "Complete")
	w.key("extraData")
	w.open()
	w.close()
	w.close()
}
