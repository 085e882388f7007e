package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coalition/internal/app"
	"coalition/internal/donations"
	"coalition/internal/errs"
)

// demoAppeal is the slug of the demo's fundraising appeal.
const demoAppeal = "protection-monitors-2026"

// loadDonations adds an appeal with a goal, gifts received by bank transfer
// and cheque over the last months (so the admin's chart has a shape), and a
// pledge still to arrive. Card gifts need Stripe, which the demo does not
// have. It does nothing if the appeal exists.
func loadDonations(ctx context.Context, a *app.App) error {
	d := a.Donations
	if _, err := d.AppealBySlug(ctx, demoAppeal); err == nil {
		return nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	cur := d.Currencies()[0].Code
	ap, err := d.SaveAppeal(ctx, 0, donations.AppealForm{
		Title: "Civilian protection monitors", Slug: demoAppeal, Goal: "50000", Currency: cur, Published: true,
		Summary: "Independent monitors document threats to civilians **before** they turn into atrocities, and their reports " +
			"reach decision-makers within days.\n\nThis year we want to train and equip twelve new monitors in three regions. " +
			"Every gift, large or small, brings that closer.",
		ArticleSlug: "why-early-warning-works",
	})
	if err != nil {
		return fmt.Errorf("appeal: %w", err)
	}
	if err := d.SaveSettings(ctx, "10, 25, 50, 100", false, donations.DefaultGiftAidText,
		"Bank transfer: Global Coalition for Civilian Protection\nIBAN CH93 0076 2011 6238 5295 7 · BIC EXAMPLEXXX\n"+
			"Cheques payable to the coalition, sent to the secretariat's address below."); err != nil {
		return fmt.Errorf("donation settings: %w", err)
	}
	now := a.Now().UTC()
	day := func(monthsAgo, d int) string {
		t := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -monthsAgo, d-1)
		if t.After(now) {
			t = now
		}
		return t.Format("2006-01-02")
	}
	// Oldest first, so that receipt numbers follow the dates.
	gifts := []donations.PledgeRequest{
		{Name: "Kenji Watanabe", Email: "kenji.w@example.net", Amount: "150", Method: "bank_transfer", ReceivedOn: day(6, 27)},
		{Name: "Ana Lúcia Ferreira", Email: "ana.ferreira@example.net", Amount: "40", Method: "bank_transfer", ReceivedOn: day(4, 9)},
		{Name: "Hannah Schmidt", Amount: "75", Method: "cheque", AppealID: ap.ID, ReceivedOn: day(3, 20), Note: "Cheque 004512"},
		{Name: "Fondation Lumière", Email: "dons@fondation-lumiere.example", Amount: "12500", Method: "bank_transfer", AppealID: ap.ID, ReceivedOn: day(2, 5), Note: "Grant letter 2026/14"},
		{Name: "Yusuf Okafor", Email: "y.okafor@example.net", Amount: "1000", Method: "bank_transfer", AppealID: ap.ID, ReceivedOn: day(1, 14), Dedication: "In memory of Ngozi Okafor"},
		{Name: "Marta Kowalska", Email: "marta.kowalska@example.net", Amount: "250", Method: "bank_transfer", AppealID: ap.ID, ReceivedOn: day(0, 2)},
	}
	for _, g := range gifts {
		g.Currency, g.Received = cur, true
		if _, err := d.RecordPledge(ctx, 0, g); err != nil {
			return fmt.Errorf("gift from %s: %w", g.Name, err)
		}
	}
	if _, err := d.RecordPledge(ctx, 0, donations.PledgeRequest{Name: "Parish of St Anne", Email: "treasurer@st-anne.example.org",
		Amount: "600", Currency: cur, Method: "cheque", AppealID: ap.ID, Note: "Promised after the Sunday collection"}); err != nil {
		return fmt.Errorf("pledge: %w", err)
	}
	return nil
}
