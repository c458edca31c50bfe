package ashbysim

import (
	"encoding/binary"
	"encoding/hex"
)

// kind numbers every family of generated object. Kinds that no endpoint
// lists (interview plans, stages, file handles, ...) still need stable ids,
// so they have numbers too. The number is part of every id, so the order
// of the constants must not change.
type kind uint8

const (
	kindCandidate kind = iota + 1
	kindApplication
	kindJob
	kindJobPosting
	kindOffer
	kindInterviewSchedule
	kindUser
	kindDepartment
	kindLocation
	kindSource
	kindArchiveReason
	kindCandidateTag
	kindCustomField
	kindSourceType
	kindInterviewPlan
	kindInterviewStage
	kindStageGroup
	kindInterview
	kindInterviewEvent
	kindInterviewerPool
	kindFeedbackForm
	kindFileHandle
	kindOfferVersion
	kindCandidateLocation
	kindJobBoard
	kindBrand
	kindTrainingPath
	kindRequisition
	kindHiringTeamRole
	kindApplicationRole
	kindCloseReason
	kindTrackingLink
	kindSurveyForm
	kindFormField
	kindCommunicationTemplate
	kindJobTemplate
	kindOpening
	kindOpeningVersion
	kindFeedback
	kindApproval
	kindApprovalStep
	kindProject
	kindSurveySubmission
	kindSurveyRequest
	kindHistoryEntry
	kindNote
	kindClientInfo
	kindInterviewerSettings
	kindInterviewerPause
	kindPlanActivity
	kindActivityInterview
	kindApprovalDefinition
	kindOrganization
	kindWebhook
	kindWebhookAction
)

// mix64 is the SplitMix64 finalizer: a fast bijective scramble of 64 bits.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

const golden = 0x9e3779b97f4a7c15

// hash derives a well-mixed value from the organisation seed and up to
// three integers, so that each (kind, index, salt) gets its own stream.
func hash(seed uint64, a, b, c uint64) uint64 {
	h := mix64(seed + golden)
	h = mix64(h ^ (a+1)*golden)
	h = mix64(h ^ (b+1)*0xc2b2ae3d27d4eb4f)
	return mix64(h ^ (c+1)*0x165667b19e3779f9)
}

// rng is a SplitMix64 generator. Every object draws from its own rng seeded
// from (seed, kind, index, version), which is what makes lazy generation
// repeatable.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// intn returns a value in [0, n). The modulo bias is negligible for the
// small n used here.
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// between returns a value in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// chance reports true with the given probability in percent.
func (r *rng) chance(percent int) bool { return r.intn(100) < percent }

func pick[T any](r *rng, items []T) T { return items[r.intn(len(items))] }

// uuid is a version 4 UUID kept as two 64-bit halves.
type uuid struct{ hi, lo uint64 }

const mask31 = 1<<31 - 1

// feistelRound is the round function of the id cipher.
func feistelRound(seed uint64, round int, half uint64) uint64 {
	return mix64(seed^uint64(round+1)*golden^half) & mask31
}

// newID encodes (k, i) into a UUID. A 4-round Feistel cipher keyed by the
// seed turns the 46-bit payload (kind and an index below 2^40) into the
// low 62 bits, and the high half is a hash of the low half. The cipher is
// a bijection, so ids look random yet never collide, without a table of
// issued ids.
func newID(seed uint64, k kind, i int) uuid {
	payload := uint64(k)<<40 | uint64(i)
	l, r := payload>>31&mask31, payload&mask31
	for round := range 4 {
		l, r = r, l^feistelRound(seed, round, r)
	}
	lo := 1<<63 | l<<31 | r // variant bits 10
	return uuid{hi: idHigh(seed, lo), lo: lo}
}

// splitID inverts newID: it returns the kind and index that u encodes, or
// ok=false for a UUID that this organisation never issued.
func splitID(seed uint64, u uuid) (k kind, i int, ok bool) {
	if u.lo>>62 != 2 || idHigh(seed, u.lo) != u.hi {
		return 0, 0, false
	}
	l, r := u.lo>>31&mask31, u.lo&mask31
	for round := 3; round >= 0; round-- {
		l, r = r^feistelRound(seed, round, l), l
	}
	payload := l<<31 | r
	return kind(payload >> 40), int(payload & (1<<40 - 1)), payload>>48 == 0
}

func idHigh(seed, lo uint64) uint64 {
	return mix64(seed^lo*golden)&^0xf000 | 0x4000 // version 4
}

// parseUUID parses the 8-4-4-4-12 hex form, in either case.
func parseUUID(s string) (uuid, bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return uuid{}, false
	}
	var raw [16]byte
	hexDigits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(raw[:], []byte(hexDigits)); err != nil {
		return uuid{}, false
	}
	var u uuid
	for j := range 8 {
		u.hi = u.hi<<8 | uint64(raw[j])
		u.lo = u.lo<<8 | uint64(raw[8+j])
	}
	return u, true
}

const hexLower = "0123456789abcdef"

// appendUUID writes the canonical lowercase form, 8-4-4-4-12.
func appendUUID(b []byte, u uuid) []byte {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], u.hi)
	binary.BigEndian.PutUint64(raw[8:], u.lo)
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	hex.Encode(out[9:13], raw[4:6])
	hex.Encode(out[14:18], raw[6:8])
	hex.Encode(out[19:23], raw[8:10])
	hex.Encode(out[24:36], raw[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return append(b, out[:]...)
}

func (u uuid) String() string { return string(appendUUID(make([]byte, 0, 36), u)) }
