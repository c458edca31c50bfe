package show

// Geometry of a horizontal bar chart, in SVG user units.
const (
	chartWidth  = 720
	labelWidth  = 260
	barHeight   = 18
	barGap      = 6
	valueMargin = 60
)

// barChart is a horizontal bar chart laid out for an SVG template: one
// bar per label, scaled to the largest value.
type barChart struct {
	// Title names the chart for screen readers and tooltips.
	Title string
	// Caption is shown above the chart; empty shows none.
	Caption string
	Width   int
	Height  int
	Bars    []bar
}

// bar is one laid-out bar with its label and value.
type bar struct {
	Label  string
	Value  int64
	Y      int // top of the bar
	TextY  int // baseline of the label and value
	X      int // left end of the bar
	Width  int
	ValueX int // start of the value text
}

// newBarChart lays out bars for labels and values of equal length.
// Negative values are drawn as empty bars.
func newBarChart(title string, labels []string, values []int64) *barChart {
	c := &barChart{Title: title, Width: chartWidth}
	var maxValue int64
	for _, v := range values {
		maxValue = max(maxValue, v)
	}
	span := chartWidth - labelWidth - valueMargin
	for i, l := range labels {
		y := i * (barHeight + barGap)
		w := 0
		if maxValue > 0 && values[i] > 0 {
			w = max(1, int(values[i]*int64(span)/maxValue))
		}
		c.Bars = append(c.Bars, bar{
			Label: l, Value: values[i], Y: y, TextY: y + barHeight - 4,
			X: labelWidth, Width: w, ValueX: labelWidth + w + 6,
		})
	}
	c.Height = max(barHeight, len(labels)*(barHeight+barGap))
	return c
}
