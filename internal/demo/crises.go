package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coalition/internal/app"
	"coalition/internal/crises"
	"coalition/internal/errs"
)

type demoUpdate struct {
	date, title, body string
}

type demoCrisis struct {
	slug, title, status string
	countries           []string
	summary             string
	recommendations     []string
	sections            []crises.Section
	updates             []demoUpdate
}

// The crisis pages are written for the demo coalition: plausible, general,
// and not a record of events.
var demoCrises = []demoCrisis{
	{slug: "sudan", title: "Sudan", status: "current-crisis", countries: []string{"SDN", "TCD"},
		summary: "War between the armed forces and a paramilitary group has driven millions from their homes. Civilians face " +
			"**attacks on the basis of their identity**, sieges of towns and famine conditions; refugees keep arriving in eastern Chad.",
		recommendations: []string{
			"All parties must stop attacks on civilians and civilian objects, including markets, hospitals and camps for displaced people.",
			"States with influence on the parties must halt the supply of weapons used against civilians.",
			"Humanitarian access across front lines and borders must be guaranteed and protected.",
			"Evidence of atrocity crimes must be preserved for future prosecutions.",
		},
		sections: []crises.Section{
			{Heading: "Background", Body: "The fighting began in the capital and spread within weeks to Darfur and Kordofan. " +
				"Towns besieged for months have been cut off from food and medicine.\n\nMember organisations report a pattern of attacks on communities identified by their ethnicity."},
			{Heading: "What the coalition does", Body: "- Shares verified alerts from members with the UN and regional bodies\n" +
				"- Briefs states that sit on the Security Council before each meeting on Sudan\n- Supports women's organisations documenting sexual violence"},
		},
		updates: []demoUpdate{
			{"2026-01-20", "Siege tightens around a Darfur town", "Members report that the last road into the town has been closed. Prices of flour have tripled in a week."},
			{"2026-02-11", "Joint letter to the Security Council", "Forty-two organisations signed the coalition's letter asking the Council to demand an end to the siege and protection for people fleeing."},
			{"2026-03-02", "New arrivals in eastern Chad", "Border monitors counted more than 4,000 new arrivals in three days, most of them women and children."},
		}},
	{slug: "sahel", title: "Sahel: Mali, Burkina Faso and Niger", status: "imminent-risk", countries: []string{"MLI", "BFA", "NER"},
		summary: "Armed groups and counter-insurgency operations have made rural communities the main victims of the conflict. " +
			"Attacks on markets and villages are rising and reporting from the region has become dangerous.",
		recommendations: []string{
			"Security operations must distinguish between civilians and fighters and investigate allegations of abuses.",
			"Community early-warning networks should be supported and protected.",
			"Donors should fund protection for displaced people in regional capitals.",
		},
		sections: []crises.Section{
			{Heading: "Risk factors", Body: "Ethnic stigmatisation of herding communities, the spread of self-defence militias and the withdrawal of international observers all increase the risk of mass atrocities."},
		},
		updates: []demoUpdate{
			{"2026-02-05", "Militia recruitment reported in central Mali", "Members received consistent reports of new militia recruitment in villages near the border."},
			{"2026-03-08", "Second market attack in a month", "Community monitors recorded a second attack on a weekly market; hundreds of people fled to the regional capital."},
		}},
	{slug: "myanmar", title: "Myanmar", status: "current-crisis", countries: []string{"MMR"},
		summary: "Air strikes on villages, schools and places of worship continue across several states. Civilians fleeing to neighbouring countries lack protection and legal status.",
		recommendations: []string{
			"States should stop the sale of aviation fuel used in air strikes on civilians.",
			"Neighbouring countries must not return refugees to danger.",
		},
		updates: []demoUpdate{
			{"2026-01-28", "Air strike on a village school", "Members along the border reported an air strike on a school during lessons."},
			{"2026-02-24", "Briefing for embassies in Bangkok", "Mekong Civilian Monitor presented its border report to a dozen embassies."},
		}},
	{slug: "haiti", title: "Haiti", status: "serious-concern", countries: []string{"HTI"},
		summary: "Armed groups control much of the capital and the roads leading out of it. Killings, kidnappings and sexual violence have displaced hundreds of thousands of people.",
		recommendations: []string{
			"Any international security support must come with strong human rights safeguards and oversight.",
			"Those who finance and arm the groups should face sanctions.",
		},
		updates: []demoUpdate{
			{"2026-02-18", "Displacement sites overcrowded", "Partners report that schools used as shelters now hold three times the number of people they were meant for."},
		}},
	{slug: "cote-divoire-2011", title: "Côte d'Ivoire post-electoral crisis", status: "resolved", countries: []string{"CIV"},
		summary:         "The violence that followed the disputed 2010 election ended in 2011. The coalition keeps the page as a record and follows the trials that came after.",
		recommendations: []string{"Keep supporting reconciliation programmes in the west of the country."},
		updates: []demoUpdate{
			{"2025-11-10", "Situation reviewed: resolved", "After its annual review the coalition keeps the situation as resolved and will continue to watch electoral periods."},
		}},
}

// loadCrises adds the demo crises with their timelines (each skipped if it
// exists).
func loadCrises(ctx context.Context, a *app.App) error {
	statuses, err := a.Crises.Statuses(ctx)
	if err != nil {
		return err
	}
	ids := map[string]int64{}
	for _, st := range statuses {
		ids[st.Slug] = st.ID
	}
	editor, err := a.Accounts.ByEmail(ctx, EditorEmail)
	if err != nil {
		return err
	}
	for _, d := range demoCrises {
		if _, err := a.Crises.BySlug(ctx, d.slug); err == nil {
			continue
		} else if !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		st, ok := ids[d.status]
		if !ok {
			continue // the scale was edited: leave this one out
		}
		c, err := a.Crises.Create(ctx, crises.Input{Title: d.title, Slug: d.slug, StatusID: st, Summary: d.summary, Countries: d.countries,
			Sections: d.sections, Recommendations: d.recommendations, Published: true})
		if err != nil {
			return fmt.Errorf("crisis %s: %w", d.slug, err)
		}
		for _, u := range d.updates {
			day, err := time.Parse("2006-01-02", u.date)
			if err != nil {
				return err
			}
			if _, err := a.Crises.AddUpdate(ctx, c.ID, crises.UpdateInput{HappenedOn: day, Title: u.title, Body: u.body, Publish: true}, editor.ID); err != nil {
				return fmt.Errorf("crisis %s update: %w", d.slug, err)
			}
		}
	}
	return nil
}
