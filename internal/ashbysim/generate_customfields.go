package ashbysim

import (
	"strconv"
)

// Custom field value types, as customField.list names them in fieldType.
const (
	fieldBoolean           = "Boolean"
	fieldString            = "String"
	fieldLongText          = "LongText"
	fieldNumber            = "Number"
	fieldDate              = "Date"
	fieldValueSelect       = "ValueSelect"
	fieldMultiValueSelect  = "MultiValueSelect"
	fieldCurrency          = "Currency"
	fieldNumberRange       = "NumberRange"
	fieldCompensationRange = "CompensationRange"
)

// fieldTypes lists every value type once; each object type gets one field
// of each.
var fieldTypes = []string{
	fieldBoolean, fieldString, fieldLongText, fieldNumber, fieldDate,
	fieldValueSelect, fieldMultiValueSelect, fieldCurrency, fieldNumberRange,
	fieldCompensationRange,
}

type selectOption struct {
	label, value string
	archived     bool
}

// customFieldSpec is a custom field definition together with what its
// generated values look like.
type customFieldSpec struct {
	title      string
	objectType string
	fieldType  string
	private    bool
	required   bool
	archived   bool
	options    []selectOption
	texts      []string
	// Number values are numMin + k*numStep for k in [0, numSteps).
	numMin, numStep float64
	numSteps        int
	currency        string
}

func opts(pairs ...string) []selectOption {
	out := make([]selectOption, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, selectOption{label: pairs[i], value: pairs[i+1]})
	}
	return out
}

func archivedLast(options []selectOption) []selectOption {
	options[len(options)-1].archived = true
	return options
}

// Object types that carry custom field values, in definition order.
var customFieldObjects = []string{"Candidate", "Application", "Job", "Offer"}

// customFieldSpecs holds ten fields per object type, one per value type and
// in the order of fieldTypes, then three archived fields that no object
// uses.
var customFieldSpecs = []customFieldSpec{
	{title: "Willing to relocate", objectType: "Candidate", fieldType: fieldBoolean},
	{title: "Preferred name", objectType: "Candidate", fieldType: fieldString, texts: firstNames},
	{title: "Recruiter notes", objectType: "Candidate", fieldType: fieldLongText, private: true},
	{title: "Years of experience", objectType: "Candidate", fieldType: fieldNumber,
		numMin: 0, numStep: 0.25, numSteps: 120},
	{title: "Earliest start date", objectType: "Candidate", fieldType: fieldDate},
	{title: "Work authorization", objectType: "Candidate", fieldType: fieldValueSelect,
		required: true,
		options: archivedLast(opts(
			"Citizen", "citizen",
			"Permanent resident", "permanent_resident",
			"Needs sponsorship", "needs_sponsorship",
			"Unknown", "unknown",
		))},
	{title: "Languages", objectType: "Candidate", fieldType: fieldMultiValueSelect,
		options: opts(
			"English", "en",
			"German", "de",
			"Spanish", "es",
			"French", "fr",
			"Japanese", "ja",
			"Portuguese", "pt",
		)},
	{title: "Current base salary", objectType: "Candidate", fieldType: fieldCurrency,
		private: true, currency: "USD"},
	{title: "Notice period (weeks)", objectType: "Candidate", fieldType: fieldNumberRange},
	{title: "Expected compensation", objectType: "Candidate", fieldType: fieldCompensationRange,
		private: true, currency: "EUR"},

	{title: "Referral bonus eligible", objectType: "Application", fieldType: fieldBoolean},
	{title: "Requisition code", objectType: "Application", fieldType: fieldString,
		texts: []string{"REQ-1042", "REQ-2210", "REQ-0007", "REQ-3981", "REQ-1500"}},
	{title: "Hiring manager notes", objectType: "Application", fieldType: fieldLongText},
	{title: "Take-home score", objectType: "Application", fieldType: fieldNumber,
		numMin: 40, numStep: 0.5, numSteps: 121},
	{title: "Take-home due date", objectType: "Application", fieldType: fieldDate},
	{title: "Interview track", objectType: "Application", fieldType: fieldValueSelect,
		options: opts(
			"Standard", "standard",
			"Accelerated", "accelerated",
			"Executive", "executive",
		)},
	{title: "Assessment areas", objectType: "Application", fieldType: fieldMultiValueSelect,
		options: opts(
			"System design", "system_design",
			"Coding", "coding",
			"Communication", "communication",
			"Product sense", "product_sense",
		)},
	{title: "Relocation budget", objectType: "Application", fieldType: fieldCurrency,
		currency: "GBP"},
	{title: "Seniority band", objectType: "Application", fieldType: fieldNumberRange},
	{title: "Proposed compensation", objectType: "Application", fieldType: fieldCompensationRange,
		private: true, currency: "USD"},

	{title: "Backfill", objectType: "Job", fieldType: fieldBoolean, required: true},
	{title: "Cost center", objectType: "Job", fieldType: fieldString,
		texts: []string{"CC-410", "CC-120", "CC-777", "CC-305"}},
	{title: "Role summary", objectType: "Job", fieldType: fieldLongText},
	{title: "Headcount", objectType: "Job", fieldType: fieldNumber,
		numMin: 1, numStep: 1, numSteps: 12},
	{title: "Target fill date", objectType: "Job", fieldType: fieldDate},
	{title: "Priority", objectType: "Job", fieldType: fieldValueSelect,
		options: opts(
			"P0 - critical", "p0",
			"P1 - high", "p1",
			"P2 - normal", "p2",
			"P3 - low", "p3",
		)},
	{title: "Required skills", objectType: "Job", fieldType: fieldMultiValueSelect,
		options: archivedLast(opts(
			"Go", "go",
			"Python", "python",
			"SQL", "sql",
			"Kubernetes", "kubernetes",
			"TypeScript", "typescript",
			"Perl", "perl",
		))},
	{title: "Approved budget", objectType: "Job", fieldType: fieldCurrency, currency: "USD"},
	{title: "Level range", objectType: "Job", fieldType: fieldNumberRange},
	{title: "Salary band", objectType: "Job", fieldType: fieldCompensationRange, currency: "USD"},

	{title: "Signing bonus approved", objectType: "Offer", fieldType: fieldBoolean},
	{title: "Payroll entity", objectType: "Offer", fieldType: fieldString,
		texts: []string{"Example Inc.", "Example GmbH", "Example Ltd", "Example K.K."}},
	{title: "Offer notes", objectType: "Offer", fieldType: fieldLongText, private: true},
	// Share counts go past 2^32 but stay below 2^53, where float64 is exact.
	{title: "Equity (shares)", objectType: "Offer", fieldType: fieldNumber,
		numMin: 4_294_967_296, numStep: 12_500, numSteps: 100_000},
	{title: "Offer expiry", objectType: "Offer", fieldType: fieldDate},
	{title: "Employment contract", objectType: "Offer", fieldType: fieldValueSelect,
		options: opts(
			"Permanent", "permanent",
			"Fixed term", "fixed_term",
			"Contractor", "contractor",
		)},
	{title: "Benefits package", objectType: "Offer", fieldType: fieldMultiValueSelect,
		options: opts(
			"Health", "health",
			"Dental", "dental",
			"Vision", "vision",
			"Pension", "pension",
			"Gym", "gym",
		)},
	{title: "Signing bonus", objectType: "Offer", fieldType: fieldCurrency, currency: "USD"},
	{title: "Vesting period (months)", objectType: "Offer", fieldType: fieldNumberRange},
	{title: "Total compensation", objectType: "Offer", fieldType: fieldCompensationRange,
		currency: "USD"},

	{title: "Legacy ATS id", objectType: "Candidate", fieldType: fieldString, archived: true},
	{title: "Old headcount", objectType: "Job", fieldType: fieldNumber, archived: true},
	{title: "Legacy referral flag", objectType: "Application", fieldType: fieldBoolean,
		archived: true},
}

// customField returns the definition of field i, including fields added by
// changes, which get generic titles and are used by no object.
func (o *org) customField(i int) customFieldSpec {
	if i < len(customFieldSpecs) {
		return customFieldSpecs[i]
	}
	k := i - len(customFieldSpecs)
	return customFieldSpec{
		title:      "Custom field " + strconv.Itoa(k+1),
		objectType: customFieldObjects[k/len(fieldTypes)%len(customFieldObjects)],
		fieldType:  fieldTypes[k%len(fieldTypes)],
	}
}

func (o *org) customFieldArchived(i int) bool {
	if m := o.mut(kindCustomField, i); m != nil && m.archived {
		return true
	}
	return o.customField(i).archived
}

func (o *org) writeCustomField(w *jsonWriter, i int) {
	f := o.customField(i)
	w.open()
	w.fieldUUID("id", o.id(kindCustomField, i))
	w.fieldBool("isPrivate", f.private)
	w.fieldString("title", f.title)
	w.fieldString("objectType", f.objectType)
	w.fieldBool("isArchived", o.customFieldArchived(i))
	w.fieldString("fieldType", f.fieldType)
	w.fieldBool("isRequired", f.required)
	if f.options != nil {
		w.key("selectableValues")
		w.openArray()
		for _, opt := range f.options {
			w.open()
			w.fieldString("label", opt.label)
			w.fieldString("value", opt.value)
			w.fieldBool("isArchived", opt.archived)
			w.close()
		}
		w.closeArray()
	}
	w.close()
}

// writeCustomFieldValues writes the customFields array of an object of the
// given object type. Each field is present with a chance of three in four.
// The first two objects of each kind carry all ten, so every value type
// appears even in a tiny organisation.
func (o *org) writeCustomFieldValues(w *jsonWriter, r *rng, objectType string, index int) {
	first := 0
	for first < len(customFieldObjects) && customFieldObjects[first] != objectType {
		first++
	}
	first *= len(fieldTypes)
	w.openArray()
	for k := range fieldTypes {
		keep := r.chance(75)
		if !keep && index >= 2 {
			continue
		}
		o.writeCustomFieldValue(w, r, first+k)
	}
	w.closeArray()
}

var currencies = []string{"USD", "EUR", "GBP", "JPY", "CHF"}

var compensationIntervals = []string{"1 YEAR", "1 YEAR", "1 YEAR", "1 MONTH", "1 HOUR", "2 WEEK"}

// writeCustomFieldValue writes one value of field i. Select values carry
// the stored option values in value and their labels in valueLabel.
func (o *org) writeCustomFieldValue(w *jsonWriter, r *rng, i int) {
	f := o.customField(i)
	w.open()
	w.fieldUUID("id", o.id(kindCustomField, i))
	w.fieldBool("isPrivate", f.private)
	w.fieldString("title", f.title)
	switch f.fieldType {
	case fieldBoolean:
		w.fieldBool("value", r.chance(50))
	case fieldString:
		texts := f.texts
		if texts == nil {
			texts = companies
		}
		w.fieldString("value", pick(r, texts))
	case fieldLongText:
		w.fieldString("value", pick(r, longTextNotes))
	case fieldNumber:
		steps := max(f.numSteps, 1)
		w.fieldNumber("value", f.numMin+float64(r.intn(steps))*f.numStep)
	case fieldDate:
		day := historyStart + int64(r.intn(900))*dayMS
		w.fieldTime("value", day)
	case fieldValueSelect:
		opt := f.options[r.intn(len(f.options))]
		w.fieldString("value", opt.value)
		w.fieldString("valueLabel", opt.label)
	case fieldMultiValueSelect:
		o.writeMultiSelect(w, r, f.options)
	case fieldCurrency:
		w.key("value")
		w.open()
		// Whole amounts mostly, some with cents.
		amount := float64(40_000 + r.intn(400)*500)
		if r.chance(30) {
			amount += float64(r.intn(100)) / 100
		}
		w.fieldNumber("value", amount)
		w.fieldString("currencyCode", f.currency)
		w.close()
	case fieldNumberRange:
		lo := r.between(1, 8)
		w.key("value")
		w.open()
		w.fieldString("type", "number-range")
		w.fieldNumber("minValue", float64(lo))
		w.fieldNumber("maxValue", float64(lo+r.between(1, 6)))
		w.close()
	case fieldCompensationRange:
		lo := float64(60_000 + r.intn(120)*1_000)
		interval := pick(r, compensationIntervals)
		if interval == "1 HOUR" {
			lo = float64(25+r.intn(100)) + 0.5
		}
		w.key("value")
		w.open()
		w.fieldString("type", "compensation-range")
		w.fieldNumber("minValue", lo)
		w.fieldNumber("maxValue", lo*1.25)
		w.fieldString("currencyCode", f.currency)
		w.fieldString("interval", interval)
		w.close()
	}
	w.close()
}

// writeMultiSelect writes one to three distinct options: their values in
// value and their labels, in the same order, in valueLabel.
func (o *org) writeMultiSelect(w *jsonWriter, r *rng, options []selectOption) {
	var chosen [3]int
	n := r.between(1, min(3, len(options)))
	start := r.intn(len(options))
	for k := range n {
		chosen[k] = (start + k) % len(options)
	}
	w.key("value")
	w.openArray()
	for _, c := range chosen[:n] {
		w.string(options[c].value)
	}
	w.closeArray()
	w.key("valueLabel")
	w.openArray()
	for _, c := range chosen[:n] {
		w.string(options[c].label)
	}
	w.closeArray()
}
