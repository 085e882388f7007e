package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/app"
	"coalition/internal/errs"
	"coalition/internal/members"
	"coalition/internal/places"
)

// MemberEmail is the demo member's sign-in (password AdminPassword): the
// admin of Réseau Sahel Vigilance, to try the member area.
const MemberEmail = "member@example.org"

type demoOrg struct {
	name, country, tier, website, email, description string
	joined                                           string // yyyy-mm-dd
	public                                           bool
	colour                                           color.RGBA
}

// The member organisations are fictional, written for this demo.
var demoOrgs = []demoOrg{
	{name: "Réseau Sahel Vigilance", country: "MLI", tier: "member", website: "https://sahel-vigilance.example.org", email: "contact@sahel-vigilance.example.org",
		joined: "2019-03-12", public: true, colour: color.RGBA{0xb3, 0x5c, 0x1e, 0xff},
		description: "Réseau Sahel Vigilance brings together **forty community monitors** in central Mali and along the borders with Burkina Faso and Niger.\n\n" +
			"Its monitors record attacks on villages, markets and displacement sites, and share verified alerts with humanitarian agencies within hours. " +
			"The network also trains local leaders in early warning and in the documentation of abuses for future accountability."},
	{name: "Observatorio Andino de Derechos Humanos", country: "COL", tier: "member", website: "https://observatorio-andino.example.org", email: "info@observatorio-andino.example.org",
		joined: "2017-09-01", public: true, colour: color.RGBA{0x1d, 0x6f, 0x42, 0xff},
		description: "The Andean Human Rights Observatory follows the situation of rural communities caught between armed groups in Colombia and its border regions.\n\n" +
			"- Field visits and testimony from social leaders under threat\n- A public register of killings of human rights defenders\n- Legal support to families seeking truth and reparation"},
	{name: "Mekong Civilian Monitor", country: "THA", tier: "ngo-supporter", website: "https://mekong-monitor.example.org", email: "desk@mekong-monitor.example.org",
		joined: "2021-06-20", public: true, colour: color.RGBA{0x2b, 0x4c, 0x9a, 0xff},
		description: "Mekong Civilian Monitor documents the impact of the conflict in Myanmar on civilians who flee across the border, and supports the people who shelter them.\n\n" +
			"As an NGO Supporter it contributes its border reports to the coalition's briefings."},
	{name: "Baltic Centre for Atrocity Prevention", country: "LTU", tier: "member", website: "https://baltic-prevention.example.org", email: "office@baltic-prevention.example.org",
		joined: "2018-11-05", public: true, colour: color.RGBA{0x55, 0x3c, 0x8b, 0xff},
		description: "A research and advocacy centre working with parliaments on early-warning mechanisms, sanctions policy and the prosecution of international crimes.\n\n" +
			"The Centre hosts the coalition's annual training on *atrocity risk analysis*."},
	{name: "Pacific Protection Network", country: "FJI", tier: "ngo-supporter", website: "https://pacific-protection.example.org", email: "hello@pacific-protection.example.org",
		joined: "2023-02-14", public: true, colour: color.RGBA{0x00, 0x7c, 0x8c, 0xff},
		description: "A network of churches, women's groups and legal aid clinics in the Pacific islands, working on the protection of people displaced by disasters and unrest."},
	{name: "Nile Women's Protection Forum", country: "SDN", tier: "member", website: "", email: "",
		joined: "2020-01-30", public: false, colour: color.RGBA{0x8a, 0x1c, 0x3b, 0xff},
		description: "A forum of women's organisations supporting survivors of sexual violence. Its profile is hidden for the safety of its staff."},
}

// logoFor draws a simple emblem in the organisation's colour: a disc with a
// white band, enough to show logos on the directory.
func logoFor(c color.RGBA) ([]byte, error) {
	const n = 160
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			dx, dy := x-n/2, y-n/2
			if dx*dx+dy*dy <= (n/2-4)*(n/2-4) {
				img.Set(x, y, c)
				if y > n/2-12 && y < n/2+12 {
					img.Set(x, y, color.NRGBA{0xff, 0xff, 0xff, 0xff})
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func tierIDs(ctx context.Context, m *members.Service) (map[string]int64, error) {
	tiers, err := m.Tiers(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, t := range tiers {
		out[t.Slug] = t.ID
	}
	return out, nil
}

// theme returns the theme tag with that name, creating it if needed.
func theme(ctx context.Context, p *places.Service, name, slugv string) (places.Tag, error) {
	t, err := p.Get(ctx, places.KindTheme, slugv)
	if errors.Is(err, errs.ErrNotFound) {
		return p.Create(ctx, places.KindTheme, name, slugv)
	}
	return t, err
}

// loadMembers adds the member organisations, a demo member account, a
// pending application and two submissions (one published, one waiting).
// Each step skips what exists.
func loadMembers(ctx context.Context, a *app.App) error {
	m := a.Members
	tiers, err := tierIDs(ctx, m)
	if err != nil {
		return err
	}
	orgs := map[string]members.Organisation{}
	for _, d := range demoOrgs {
		existing, err := m.List(ctx, members.Filter{Query: d.name})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			orgs[d.name] = existing[0]
			continue
		}
		joined, err := time.Parse("2006-01-02", d.joined)
		if err != nil {
			return err
		}
		o, err := m.Create(ctx, members.OrgInput{Name: d.name, Description: d.description, Website: d.website, Country: d.country,
			ContactEmail: d.email, TierID: tiers[d.tier], JoinedAt: joined, Public: d.public})
		if err != nil {
			return fmt.Errorf("organisation %s: %w", d.name, err)
		}
		logo, err := logoFor(d.colour)
		if err != nil {
			return err
		}
		if err := m.SetLogo(ctx, o.ID, logo); err != nil {
			return fmt.Errorf("logo of %s: %w", d.name, err)
		}
		orgs[d.name] = o
	}
	sahel := orgs["Réseau Sahel Vigilance"]
	if _, err := a.Accounts.ByEmail(ctx, MemberEmail); errors.Is(err, errs.ErrNotFound) {
		inv, err := m.InvitePerson(ctx, sahel.ID, MemberEmail, "Aminata Traoré", true, nil)
		if err != nil {
			return fmt.Errorf("demo member: %w", err)
		}
		if _, err := a.Accounts.UseToken(ctx, inv.Token, accounts.PurposeInvite, AdminPassword); err != nil {
			return fmt.Errorf("demo member password: %w", err)
		}
	} else if err != nil {
		return err
	}
	apps, err := m.Applications(ctx, "all")
	if err != nil {
		return err
	}
	if len(apps) == 0 {
		_, err := m.Apply(ctx, members.ApplicationInput{OrgName: "Great Lakes Peace Initiative", Country: "BDI", Website: "https://greatlakes-peace.example.org",
			Description: "A peace-building organisation running dialogue groups between returning refugees and their neighbours.",
			ContactName: "Jean-Claude Niyonzima", ContactEmail: "jc@greatlakes-peace.example.org", TierID: tiers["ngo-supporter"],
			Statement: "We would like to share our monitoring of tensions around land returns with the coalition and learn from members working on early warning."}, nil)
		if err != nil {
			return fmt.Errorf("demo application: %w", err)
		}
	}
	subs, err := m.SubmissionsOf(ctx, sahel.ID)
	if err != nil {
		return err
	}
	if len(subs) == 0 {
		poc, err := theme(ctx, a.Places, "Protection of civilians", "protection-of-civilians")
		if err != nil {
			return err
		}
		acc, err := theme(ctx, a.Places, "Accountability", "accountability")
		if err != nil {
			return err
		}
		me, err := a.Accounts.ByEmail(ctx, MemberEmail)
		if err != nil {
			return err
		}
		by := members.Actor{ID: me.ID, Name: me.DisplayName()}
		themes := []int64{poc.ID}
		if sahelCrisis, err := a.Places.Get(ctx, places.KindCrisis, "sahel"); err == nil {
			themes = append(themes, sahelCrisis.ID)
		}
		pub, err := m.Submit(ctx, sahel.ID, by, members.SubmissionInput{Kind: members.KindNews,
			Title:   "Monitors report a second attack on the Boni market in a month",
			Summary: "Community monitors recorded an attack on a weekly market; traders and families have left for the regional capital.",
			Body: "Our monitors in the Mopti region recorded an attack on the weekly market on Saturday morning, the second in a month.\n\n" +
				"Traders told us that armed men arrived on motorbikes and set fire to stalls. **Several hundred people** have since left for the regional capital.\n\n" +
				"We call on the authorities to protect market days and on humanitarian agencies to reach the families who fled.",
			Countries: []string{"MLI"}, ThemeIDs: themes}, nil)
		if err != nil {
			return fmt.Errorf("demo submission: %w", err)
		}
		editor, err := a.Accounts.ByEmail(ctx, EditorEmail)
		if err != nil {
			return err
		}
		if _, err := m.ApproveSubmission(ctx, pub.ID, members.Actor{ID: editor.ID, Name: editor.DisplayName()}, nil); err != nil {
			return fmt.Errorf("demo approval: %w", err)
		}
		if _, err := m.Submit(ctx, sahel.ID, by, members.SubmissionInput{Kind: members.KindNews,
			Title:   "Training for community monitors in Ségou",
			Summary: "Twenty new monitors completed a week of training on safe documentation.",
			Body: "Twenty new monitors from the Ségou region completed a week of training on the safe documentation of attacks: " +
				"taking testimony without putting witnesses at risk, storing photos securely and sending verified alerts.",
			Countries: []string{"MLI"}, ThemeIDs: []int64{acc.ID}}, nil); err != nil {
			return fmt.Errorf("demo submission: %w", err)
		}
	}
	return nil
}
