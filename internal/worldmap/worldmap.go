// Package worldmap draws the server-rendered SVG world map used on the
// crises, documents and members pages: every country a path that links to its
// page, with a title for hover and assistive technology, coloured by a class
// the caller chooses. No JavaScript; the geometry is projected and rounded
// once at start, so drawing a map is string concatenation.
package worldmap

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"math"
	"sort"
	"strconv"
	"strings"
)

//go:embed data/countries-110m.json
var topoJSON []byte

// Width and Height are the map's viewBox size (Height fits the land drawn).
const (
	Width  = 1000
	Height = 440
)

// Country is one drawable country.
type Country struct {
	Numeric string // ISO 3166-1 numeric, zero-padded ("760"); empty for the few unnamed features
	Name    string // the map's own English name
	Path    string // SVG path data in viewBox units
}

// Map is the projected world.
type Map struct {
	Countries []Country
	byNumeric map[string]int
}

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string          `json:"type"`
				ID         string          `json:"id"`
				Arcs       json.RawMessage `json:"arcs"`
				Properties struct {
					Name string `json:"name"`
				} `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

// New decodes and projects the embedded map (Equal Earth projection;
// Antarctica is left out: no crisis, document or member is there, and it
// would take a fifth of the height).
func New() (*Map, error) {
	var t topology
	if err := json.Unmarshal(topoJSON, &t); err != nil {
		return nil, fmt.Errorf("world map: %w", err)
	}
	// Decode the delta-encoded, quantized arcs into longitude and latitude.
	arcs := make([][][2]float64, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y float64
		pts := make([][2]float64, len(a))
		for j, p := range a {
			x += p[0]
			y += p[1]
			pts[j] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
		}
		arcs[i] = pts
	}
	// Fit the world without Antarctica into the viewBox: the full width of
	// the projection; the top of the drawn land at the top.
	const xmax = 2.7066 // Equal Earth at ±180°
	ymax := math.Inf(-1)
	for _, g := range t.Objects.Countries.Geometries {
		if g.ID == "010" {
			continue
		}
		for _, ai := range arcIndexes(g.Arcs) {
			for _, p := range arcs[ai] {
				ymax = math.Max(ymax, project(p[0], p[1])[1])
			}
		}
	}
	scale := Width / (2 * xmax)
	toView := func(lon, lat float64) [2]float64 {
		p := project(lon, lat)
		return [2]float64{(p[0] + xmax) * scale, (ymax - p[1]) * scale}
	}
	m := &Map{byNumeric: map[string]int{}}
	for _, g := range t.Objects.Countries.Geometries {
		if g.ID == "010" { // Antarctica
			continue
		}
		var polys [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			if err := json.Unmarshal(g.Arcs, &p); err != nil {
				return nil, fmt.Errorf("world map %s: %w", g.Properties.Name, err)
			}
			polys = [][][]int{p}
		case "MultiPolygon":
			if err := json.Unmarshal(g.Arcs, &polys); err != nil {
				return nil, fmt.Errorf("world map %s: %w", g.Properties.Name, err)
			}
		default:
			continue
		}
		var b strings.Builder
		for _, poly := range polys {
			for _, ring := range poly {
				for _, r := range unwrap(ringPoints(arcs, ring)) {
					pts := make([][2]float64, len(r))
					for i, p := range r {
						pts[i] = toView(p[0], p[1])
					}
					writeRing(&b, pts)
				}
			}
		}
		if b.Len() == 0 {
			continue
		}
		m.byNumeric[g.ID] = len(m.Countries)
		m.Countries = append(m.Countries, Country{Numeric: g.ID, Name: g.Properties.Name, Path: b.String()})
	}
	return m, nil
}

// project maps longitude and latitude (degrees) to Equal Earth coordinates
// (Šavrič, Patterson and Jenny, 2018); New scales them to the viewBox.
func project(lon, lat float64) [2]float64 {
	const a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
	m := math.Sqrt(3) / 2
	phi := lat * math.Pi / 180
	lam := lon * math.Pi / 180
	theta := math.Asin(m * math.Sin(phi))
	t2 := theta * theta
	t6 := t2 * t2 * t2
	x := 2 * math.Sqrt(3) * lam * math.Cos(theta) / (3 * (9*a4*t6*t2 + 7*a3*t6 + 3*a2*t2 + a1))
	y := theta * (a1 + a2*t2 + t6*(a3+a4*t2))
	return [2]float64{x, y}
}

// ringPoints joins a ring's arcs (a negative index means the arc reversed)
// into one list of longitude/latitude points.
func ringPoints(arcs [][][2]float64, ring []int) [][2]float64 {
	var pts [][2]float64
	for _, ai := range ring {
		rev := ai < 0
		if rev {
			ai = ^ai
		}
		if ai >= len(arcs) {
			continue
		}
		a := arcs[ai]
		for k := range a {
			p := a[k]
			if rev {
				p = a[len(a)-1-k]
			}
			pts = append(pts, p)
		}
	}
	return pts
}

// unwrap handles rings that cross the antimeridian (Russia, Fiji): such a
// ring jumps by more than 180° of longitude between two points. It is drawn
// twice, once moved east and once moved west, each made continuous; the
// viewBox cuts off what falls outside, so both halves show.
func unwrap(ring [][2]float64) [][][2]float64 {
	crosses := false
	for i := 1; i < len(ring); i++ {
		if math.Abs(ring[i][0]-ring[i-1][0]) > 180 {
			crosses = true
			break
		}
	}
	if !crosses {
		return [][][2]float64{ring}
	}
	east := make([][2]float64, len(ring))
	west := make([][2]float64, len(ring))
	for i, p := range ring {
		east[i], west[i] = p, p
		if p[0] < 0 {
			east[i][0] += 360
		} else {
			west[i][0] -= 360
		}
	}
	return [][][2]float64{east, west}
}

// writeRing appends one closed ring as an SVG subpath with integer
// coordinates, dropping points that round to the previous one.
func writeRing(b *strings.Builder, in [][2]float64) {
	var pts [][2]int
	for _, p := range in {
		q := [2]int{int(math.Round(p[0])), int(math.Round(p[1]))}
		if n := len(pts); n > 0 && pts[n-1] == q {
			continue
		}
		pts = append(pts, q)
	}
	if len(pts) < 3 {
		return
	}
	// Relative commands keep the path short.
	fmt.Fprintf(b, "M%d %d", pts[0][0], pts[0][1])
	for i := 1; i < len(pts); i++ {
		dx, dy := pts[i][0]-pts[i-1][0], pts[i][1]-pts[i-1][1]
		b.WriteString("l")
		b.WriteString(strconv.Itoa(dx))
		if dy >= 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(dy))
	}
	b.WriteByte('z')
}

// Shade is how one country is drawn.
type Shade struct {
	Class string // CSS class, e.g. "s3" or "status-current"
	Title string // hover and assistive-technology text, e.g. "Syria: 12 documents"
	URL   string // where the country links; empty for no link
	// Focusable puts the link in the keyboard tab order. Countries with
	// nothing to show are still links for the pointer but are skipped by Tab,
	// so a keyboard user is not made to walk through 170 links; the plain
	// list next to every map carries the same data.
	Focusable bool
}

// Options configure a rendering.
type Options struct {
	Label string // accessible name of the whole map
	ID    string // id for the <svg> (used by aria-labelledby of a caption)
	// Default is applied to countries missing from the data (nil: grey, no link).
	Default func(numeric, name string) Shade
}

// Render draws the map with the given shades, keyed by zero-padded ISO
// numeric code.
func (m *Map) Render(shades map[string]Shade, o Options) template.HTML {
	var b strings.Builder
	b.Grow(64 << 10)
	fmt.Fprintf(&b, `<svg class="worldmap" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg" role="group"`, Width, Height)
	if o.ID != "" {
		fmt.Fprintf(&b, ` id="%s"`, html.EscapeString(o.ID))
	}
	fmt.Fprintf(&b, ` aria-label="%s">`, html.EscapeString(o.Label))
	for _, c := range m.Countries {
		s, ok := shades[c.Numeric]
		if !ok && o.Default != nil {
			s, ok = o.Default(c.Numeric, c.Name), true
		}
		if !ok {
			s = Shade{Title: c.Name}
		}
		title := s.Title
		if title == "" {
			title = c.Name
		}
		class := "c"
		if s.Class != "" {
			class += " " + s.Class
		}
		if s.URL != "" {
			b.WriteString(`<a href="`)
			b.WriteString(html.EscapeString(s.URL))
			b.WriteString(`" aria-label="`)
			b.WriteString(html.EscapeString(title))
			b.WriteString(`"`)
			if !s.Focusable {
				b.WriteString(` tabindex="-1"`)
			}
			b.WriteString(`>`)
		}
		b.WriteString(`<path class="`)
		b.WriteString(html.EscapeString(class))
		b.WriteString(`" d="`)
		b.WriteString(c.Path)
		b.WriteString(`"><title>`)
		b.WriteString(html.EscapeString(title))
		b.WriteString(`</title></path>`)
		if s.URL != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text escaped above; paths are numbers
}

// Numerics lists every drawable country's numeric code, sorted.
func (m *Map) Numerics() []string {
	out := make([]string, 0, len(m.Countries))
	for _, c := range m.Countries {
		if c.Numeric != "" {
			out = append(out, c.Numeric)
		}
	}
	sort.Strings(out)
	return out
}

// Has reports whether the map draws the country with that numeric code.
func (m *Map) Has(numeric string) bool { _, ok := m.byNumeric[numeric]; return ok }

// PadNumeric zero-pads an ISO numeric code as the map's ids are ("4" → "004").
func PadNumeric(n string) string {
	for len(n) < 3 {
		n = "0" + n
	}
	return n
}

// arcIndexes lists the arcs a Polygon or MultiPolygon geometry uses.
func arcIndexes(raw json.RawMessage) []int {
	var out []int
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e)
			}
		case float64:
			i := int(x)
			if i < 0 {
				i = ^i
			}
			out = append(out, i)
		}
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		walk(v)
	}
	return out
}
