package demo

import (
	"context"
	"fmt"
	"strings"

	"coalition/internal/app"
	"coalition/internal/mail"
)

// The demo's mailing lists, a few confirmed subscribers (fictional
// addresses at example.org, a domain reserved for examples) with alerts,
// and a draft newsletter built from demo articles for editors to try.

var demoLists = []mail.ListInput{
	{Name: "Monthly Newsletter", Slug: "monthly-newsletter", Description: "The coalition's letter, once a month.", Position: 1},
	{Name: "Weekly Round-up", Slug: "weekly-round-up", Description: "The week's statements, documents and crisis updates.", Position: 2},
	{Name: "Crisis Alerts", Slug: "crisis-alerts", Description: "Urgent calls when a situation deteriorates.", Position: 3},
	{Name: "Members' Briefing", Slug: "members-briefing", Description: "Advocacy plans and drafts for member organisations.", MembersOnly: true, Position: 4},
}

var demoSubscribers = []struct {
	name, email string
	lists       []int // indexes into demoLists
	follow      []string
}{
	{"Nadia Haddad", "nadia.haddad@example.org", []int{0, 2}, []string{"syr"}},
	{"Jonas Weber", "jonas.weber@example.org", []int{0}, nil},
	{"Grace Mensah", "grace.mensah@example.org", []int{0, 1}, []string{"sdn", "ssd"}},
	{"Lucía Romero", "lucia.romero@example.org", []int{1}, []string{"col"}},
	{"Olena Kovalenko", "olena.kovalenko@example.org", []int{0, 2}, []string{"ukr"}},
	{"Hiroshi Tanaka", "hiroshi.tanaka@example.org", []int{0}, []string{"mmr"}},
	{"Amina Yusuf", "amina.yusuf@example.org", []int{1, 2}, nil},
	{"Pierre Lambert", "pierre.lambert@example.org", []int{0}, nil},
}

func loadMail(ctx context.Context, a *app.App) error {
	m := a.Mail
	existing, err := m.Lists(ctx)
	if err != nil {
		return err
	}
	if len(existing) > 0 {
		return nil // loaded before
	}
	var ids []int64
	for _, in := range demoLists {
		l, err := m.CreateList(ctx, in)
		if err != nil {
			return fmt.Errorf("list %s: %w", in.Name, err)
		}
		ids = append(ids, l.ID)
	}
	for _, s := range demoSubscribers {
		var lists []int64
		for _, i := range s.lists {
			lists = append(lists, ids[i])
		}
		sub, err := m.Add(ctx, mail.AddInput{Email: s.email, Name: s.name, ListIDs: lists, Status: "confirmed", Source: "demo"})
		if err != nil {
			return fmt.Errorf("subscriber %s: %w", s.email, err)
		}
		if len(s.follow) > 0 {
			tags, err := a.Places.ResolveCountries(ctx, s.follow)
			if err != nil {
				return err
			}
			if err := followTags(ctx, a, sub.ID, tags); err != nil {
				return err
			}
		}
	}
	picked, err := m.RecentArticles(ctx, 3)
	if err != nil {
		return err
	}
	var arts []int64
	for _, p := range picked {
		arts = append(arts, p.ID)
	}
	_, err = m.CreateCampaign(ctx, mail.CampaignInput{
		Subject:    "Newsletter: protecting civilians this month",
		Preheader:  "Three stories from the coalition, and how to take part.",
		ArticleIDs: arts,
		ListIDs:    []int64{ids[0]},
		Archive:    true,
		Body: strings.Join([]string{
			"Dear friends,",
			"This month our members documented new threats to civilians and met diplomats in Geneva and New York. " +
				"The stories below say what we learnt and what comes next.",
			"## Take part",
			"Forward this letter to a colleague, or [browse the document library](/documents) for the statements we cite.",
			"With thanks,  \nThe secretariat",
		}, "\n\n"),
	}, 0)
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	return nil
}

// followTags sets a demo subscriber's alerts directly (the public path is
// the preference centre, reached through a signed link).
func followTags(ctx context.Context, a *app.App, sid int64, tags []int64) error {
	for _, t := range tags {
		if _, err := a.DB.W.ExecContext(ctx, "INSERT INTO subscriber_follows (subscriber_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", sid, t); err != nil {
			return fmt.Errorf("follow: %w", err)
		}
	}
	return nil
}
