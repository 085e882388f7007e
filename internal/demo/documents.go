package demo

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"strings"

	"coalition/internal/app"
	"coalition/internal/errs"
	"coalition/internal/library"
	"coalition/internal/places"
)

// demoGroupings are the coalition's own regions, as the old site had them.
func demoGroupings(g *places.Gazetteer) map[string][]string {
	mena := map[string]bool{"ARE": true, "BHR": true, "IRQ": true, "ISR": true, "JOR": true, "KWT": true, "LBN": true, "OMN": true, "PSE": true,
		"QAT": true, "SAU": true, "SYR": true, "YEM": true, "IRN": true}
	europe := map[string]bool{"ARM": true, "AZE": true, "GEO": true, "CYP": true, "TUR": true}
	out := map[string][]string{}
	for _, c := range g.Countries {
		switch {
		case c.Subregion == "Northern Africa" || mena[c.ISO3]:
			out["Middle East and North Africa"] = append(out["Middle East and North Africa"], c.ISO3)
		case c.Region == "Africa":
			out["Africa"] = append(out["Africa"], c.ISO3)
		case c.Region == "Americas":
			out["Americas"] = append(out["Americas"], c.ISO3)
		case c.Region == "Europe" || europe[c.ISO3]:
			out["Europe"] = append(out["Europe"], c.ISO3)
		case c.Region == "Asia" || c.Region == "Oceania":
			out["Asia-Pacific"] = append(out["Asia-Pacific"], c.ISO3)
		}
	}
	return out
}

type demoDoc struct {
	title, date, typ, source, lang, summary, access string
	countries, themes, crises                       []string
	format                                          string // pdf, txt, html
	body                                            []string
}

var docThemes = []string{"Protection of civilians", "Responsibility to protect", "Atrocity prevention", "Women, peace and security",
	"Accountability and justice", "Humanitarian access", "Health care in conflict"}

var docCrisisTags = []string{"Syria", "Sudan", "Myanmar", "Ukraine", "Yemen", "Sahel", "Democratic Republic of the Congo", "Afghanistan"}

var demoDocs = []demoDoc{
	{title: "Open letter to the Security Council on the protection of civilians in Syria", date: "2013-09-24", typ: "letter", source: "Global Coalition for Civilian Protection",
		summary:   "Twenty-three member organisations urge the Council to secure humanitarian access and to refer the situation to the International Criminal Court.",
		countries: []string{"SYR"}, themes: []string{"protection-of-civilians", "humanitarian-access"}, crises: []string{"syria"}, format: "pdf",
		body: []string{"Excellencies, we write on behalf of twenty-three civil society organisations working in and on Syria.",
			"Civilians in besieged areas have been without food and medical care for months. We ask the Council to demand unimpeded humanitarian access across lines and borders.",
			"We recall that every State has the responsibility to protect its population from genocide, war crimes, ethnic cleansing and crimes against humanity, and that the international community must act when a State manifestly fails to do so.",
			"We further urge the Council to refer the situation in Syria to the International Criminal Court so that those responsible for sexual violence, torture and indiscriminate attacks are held to account."}},
	{title: "Statement on the escalation of violence in Darfur", date: "2023-06-15", typ: "statement", source: "Global Coalition for Civilian Protection",
		summary:   "The coalition condemns attacks on civilians in El Geneina and calls for an immediate ceasefire and independent investigations.",
		countries: []string{"SDN"}, themes: []string{"atrocity-prevention", "accountability-and-justice"}, crises: []string{"sudan"}, format: "txt",
		body: []string{"The Global Coalition for Civilian Protection is alarmed by reports of targeted killings of Masalit civilians in El Geneina, West Darfur.",
			"Warning signs of atrocity crimes have been visible for months: hate speech on the radio, the burning of villages and the displacement of more than half a million people.",
			"We call on all parties to agree an immediate ceasefire, on the Security Council to renew the arms embargo and on the International Criminal Court to investigate new crimes."}},
	{title: "Early warning in the Sahel: signs of risk and what to do about them", date: "2021-11-02", typ: "report", source: "Sahel Civil Society Network",
		summary:   "A field report on risk factors for mass atrocities in Mali, Burkina Faso and Niger, with recommendations for regional and international actors.",
		countries: []string{"MLI", "BFA", "NER"}, themes: []string{"atrocity-prevention"}, crises: []string{"sahel"}, format: "html",
		body: []string{"Across the central Sahel, armed groups exploit local disputes over land and water, while security operations have at times targeted whole communities.",
			"Our partners documented forty incidents in which civilians were killed because of their ethnicity. Self-defence militias have multiplied.",
			"We recommend that ECOWAS support community early-warning networks, that governments investigate abuses by their own forces, and that donors fund local mediation."}},
	{title: "Toolkit: engaging national parliaments on the responsibility to protect", date: "2019-04-10", typ: "toolkit", source: "Global Coalition for Civilian Protection",
		summary: "A practical guide for member organisations: briefing members of parliament, proposing a national focal point, and using budget debates.",
		themes:  []string{"responsibility-to-protect", "atrocity-prevention"}, format: "html",
		body: []string{"Parliaments decide budgets, ratify treaties and question ministers: all three are levers for atrocity prevention.",
			"Step one: find the members of the foreign affairs and defence committees and offer a short briefing on the responsibility to protect.",
			"Step two: propose that the government appoint a national focal point for the responsibility to protect and report to parliament each year.",
			"Step three: use the budget debate to ask what the country spends on prevention compared with crisis response."}},
	{title: "Remarks at the General Assembly informal interactive dialogue on the responsibility to protect", date: "2015-09-08", typ: "speech", source: "Global Coalition for Civilian Protection",
		summary: "Ten years after the World Summit, the coalition asks States to move from words to prevention.",
		themes:  []string{"responsibility-to-protect"}, format: "txt",
		body: []string{"Mr. President, ten years ago at the World Summit, heads of State and government made a commitment to protect populations from atrocity crimes.",
			"Since then, the principle has been invoked in more than fifty Security Council resolutions. Yet in Syria, South Sudan and the Central African Republic, civilians continue to pay the price of inaction.",
			"We ask every State to appoint a focal point, to join the Global Network, and to support a restraint on the use of the veto in situations of mass atrocity."}},
	{title: "Côte d’Ivoire : les leçons de la crise post-électorale de 2011", date: "2012-04-11", typ: "report", source: "Réseau ivoirien pour la paix", lang: "fr",
		summary:   "Une analyse de la prévention et de la protection des civils pendant la crise post-électorale en Côte d’Ivoire.",
		countries: []string{"CIV"}, themes: []string{"protection-of-civilians"}, format: "txt",
		body: []string{"La crise post-électorale de 2010-2011 en Côte d’Ivoire a fait plus de trois mille morts.",
			"Les organisations de la société civile avaient alerté dès novembre sur les discours de haine et les violences à Abidjan et dans l’ouest du pays.",
			"Nous recommandons un mécanisme national d’alerte précoce et la poursuite des auteurs de crimes, quel que soit leur camp."}},
	{title: "Joint statement on the Rohingya crisis in Myanmar", date: "2017-09-12", typ: "statement", source: "Global Coalition for Civilian Protection",
		summary:   "Sixty organisations condemn the clearance operations in Rakhine State and call for an end to the violence and for accountability.",
		countries: []string{"MMR", "BGD"}, themes: []string{"atrocity-prevention", "accountability-and-justice"}, crises: []string{"myanmar"}, format: "txt",
		body: []string{"More than three hundred thousand Rohingya have fled to Bangladesh in less than three weeks.",
			"Satellite images show entire villages burned in northern Rakhine State. Survivors describe killings, sexual violence and the burning of homes.",
			"We call on the Security Council to demand an end to the clearance operations, on Myanmar to admit the Fact-Finding Mission, and on all States to suspend military cooperation."}},
	{title: "Letter to the Human Rights Council on civilians in Ukraine", date: "2022-03-02", typ: "letter", source: "Global Coalition for Civilian Protection",
		summary:   "The coalition supports an urgent debate and a commission of inquiry on attacks against civilians and civilian infrastructure in Ukraine.",
		countries: []string{"UKR"}, themes: []string{"protection-of-civilians", "accountability-and-justice"}, crises: []string{"ukraine"}, format: "txt",
		body: []string{"Excellencies, since 24 February residential areas of Kharkiv, Mariupol and other cities have been shelled with explosive weapons with wide-area effects.",
			"We support the request for an urgent debate and ask the Council to establish an independent international commission of inquiry."}},
	{title: "Members' briefing: advocacy priorities for 2024", date: "2024-01-20", typ: "briefing", source: "Global Coalition for Civilian Protection", access: "members",
		summary: "For member organisations only: the secretariat's proposed advocacy calendar and the situations we will prioritise.",
		themes:  []string{"atrocity-prevention"}, format: "txt",
		body: []string{"This briefing is for member organisations. Please do not circulate it outside the coalition.",
			"Priority situations for 2024: Sudan, Myanmar, the Sahel and the Democratic Republic of the Congo.",
			"Key moments: the annual General Assembly debate, the Human Rights Council's June session, and the Security Council's open debate on the protection of civilians in May."}},
	{title: "Security Council resolutions on the protection of civilians, 1999–2020: a tracker", date: "2020-05-25", typ: "resolution", source: "Global Coalition for Civilian Protection",
		summary: "Every thematic resolution on the protection of civilians since resolution 1265 (1999), with what each asked of States and missions.",
		themes:  []string{"protection-of-civilians"}, format: "html",
		body: []string{"Resolution 1265 (1999) first placed the protection of civilians on the Council's agenda.",
			"Resolution 1674 (2006) reaffirmed the responsibility to protect as set out in the World Summit Outcome.",
			"Resolution 2286 (2016) condemned attacks on medical facilities and personnel.",
			"Resolution 2417 (2018) condemned the starvation of civilians as a method of warfare."}},
	{title: "Statement on attacks on hospitals in Yemen", date: "2016-08-17", typ: "statement", source: "Global Coalition for Civilian Protection",
		summary:   "The coalition condemns the bombing of a hospital in Hajjah and recalls resolution 2286 on the protection of health care.",
		countries: []string{"YEM"}, themes: []string{"health-care-in-conflict", "humanitarian-access"}, crises: []string{"yemen"}, format: "txt",
		body: []string{"On 15 August an airstrike hit a hospital supported by an international medical organisation in Abs, Hajjah governorate, killing patients and staff.",
			"Three months after the Security Council adopted resolution 2286, attacks on health care continue in Yemen with impunity.",
			"We call for an independent investigation and for States to stop arms transfers where there is a clear risk they will be used against civilians, as the Arms Trade Treaty requires."}},
	{title: "Women, peace and security in the Great Lakes region", date: "2018-10-31", typ: "report", source: "Great Lakes Women's Forum",
		summary:   "How women's organisations in the Democratic Republic of the Congo, Rwanda and Burundi protect their communities, and what they need.",
		countries: []string{"COD", "RWA", "BDI"}, themes: []string{"women-peace-and-security"}, crises: []string{"democratic-republic-of-the-congo"}, format: "pdf",
		body: []string{"Women's organisations are often the first to know when violence is coming, and the last to be consulted on peace processes.",
			"In North Kivu, women-led early-warning committees alerted peacekeepers to attacks in eleven villages in 2017.",
			"We recommend direct, flexible funding for women's organisations and a seat for them in every ceasefire monitoring mechanism."}},
	{title: "Statement on the humanitarian and human rights crisis in Venezuela", date: "2019-03-20", typ: "statement", source: "Global Coalition for Civilian Protection",
		summary:   "The coalition calls for humanitarian access and for the Human Rights Council to establish a fact-finding mission.",
		countries: []string{"VEN", "COL"}, themes: []string{"humanitarian-access"}, format: "txt",
		body: []string{"More than three million people have left Venezuela. Those who remain face shortages of food and medicine.",
			"We welcome the hospitality of Colombia and other neighbours, and call for a fact-finding mission on extrajudicial executions."}},
	{title: "Protecting women human rights defenders in Afghanistan", date: "2022-08-15", typ: "report", source: "Afghan Women's Rights Network",
		summary:   "One year after August 2021: threats against women human rights defenders, and how States can help them.",
		countries: []string{"AFG", "PAK"}, themes: []string{"women-peace-and-security"}, crises: []string{"afghanistan"}, format: "html",
		body: []string{"Since August 2021, women human rights defenders in Afghanistan have faced searches, detention and threats against their families.",
			"Many have fled to Pakistan, where they wait for visas that rarely come.",
			"We ask States to create humanitarian visa schemes, and donors to fund relocation and psychosocial support."}},
	{title: "Statement welcoming the report of the Commission of Inquiry on North Korea", date: "2014-02-17", typ: "statement", source: "Global Coalition for Civilian Protection",
		summary:   "The Commission found crimes against humanity in the Democratic People's Republic of Korea; the coalition asks for a referral to the ICC.",
		countries: []string{"PRK"}, themes: []string{"accountability-and-justice", "atrocity-prevention"}, format: "txt",
		body: []string{"The Commission of Inquiry found that systematic, widespread and gross human rights violations have been and are being committed.",
			"We call on the Security Council to refer the situation to the International Criminal Court."}},
}

func demoHTML(title string, paras []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head><body>\n<h1>%s</h1>\n",
		html.EscapeString(title), html.EscapeString(title))
	for _, p := range paras {
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
	}
	b.WriteString("</body></html>\n")
	return b.Bytes()
}

// loadDocuments adds the coalition's regions, themes, crises and the demo
// documents, skipping what exists.
func loadDocuments(ctx context.Context, a *app.App) error {
	for name, codes := range demoGroupings(a.Places.Gaz) {
		t, err := a.Places.Create(ctx, places.KindGrouping, name, "")
		if ie, ok := errs.AsInvalid(err); ok && ie.Field == "name" {
			continue // exists
		}
		if err != nil {
			return fmt.Errorf("grouping %s: %w", name, err)
		}
		if err := a.Places.SetGroupingCountries(ctx, t.ID, codes); err != nil {
			return fmt.Errorf("grouping %s: %w", name, err)
		}
	}
	for _, kt := range []struct {
		kind  places.Kind
		names []string
	}{{places.KindTheme, docThemes}, {places.KindCrisis, docCrisisTags}} {
		for _, n := range kt.names {
			if _, err := a.Places.Create(ctx, kt.kind, n, ""); err != nil {
				if _, ok := errs.AsInvalid(err); !ok {
					return fmt.Errorf("%s %s: %w", kt.kind, n, err)
				}
			}
		}
	}
	if err := a.Search.Reexpand(ctx); err != nil {
		return err
	}
	for _, d := range demoDocs {
		have, _, err := a.Library.List(ctx, library.ListFilter{Query: d.title, Limit: 5})
		if err != nil {
			return err
		}
		exists := false
		for _, h := range have {
			exists = exists || h.Title == d.title
		}
		if exists {
			continue
		}
		lang := d.lang
		if lang == "" {
			lang = "en"
		}
		in := library.Input{Title: d.title, Date: d.date, Type: d.typ, Source: d.source, Language: lang, Summary: d.summary, Access: d.access,
			Countries: d.countries, Themes: d.themes, Crises: d.crises}
		name := strings.ToLower(strings.Join(strings.Fields(library.TitleFromName(d.title)), "-"))
		if len(name) > 60 {
			name = name[:60]
		}
		var body []byte
		switch d.format {
		case "pdf":
			if body, err = library.MakePDF(d.title, d.body, ""); err != nil {
				return err
			}
		case "html":
			body = demoHTML(d.title, d.body)
		default:
			body = []byte(d.title + "\n\n" + strings.Join(d.body, "\n\n") + "\n")
		}
		if _, err := a.Library.Create(ctx, in, &library.File{Name: name + "." + d.format, Body: bytes.NewReader(body)}, 0); err != nil {
			return fmt.Errorf("demo document %q: %w", d.title, err)
		}
	}
	return nil
}
