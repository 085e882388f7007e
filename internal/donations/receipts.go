package donations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"coalition/internal/errs"
	"coalition/internal/i18n"
	"coalition/internal/mail"
	"coalition/internal/settings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// nextNumber takes the next value of a gap-free counter. It must run in the
// transaction that uses the number: the counter row stays locked until that
// transaction ends (PostgreSQL), or the transaction is the only writer
// (SQLite), and a rollback gives the number back.
func nextNumber(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `INSERT INTO donation_counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = donation_counters.value + 1 RETURNING value`, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("counter %s: %w", name, err)
	}
	return v, nil
}

// ReceiptNumber formats a receipt number: the year and a sequence that
// restarts each year, e.g. 2026-000042.
func ReceiptNumber(year int, seq int64) string { return fmt.Sprintf("%d-%06d", year, seq) }

// markPaidTx records that a gift's money is in: the status, a receipt
// number, the organisation's details as they are today, and (if send) the
// thank-you e-mail with the receipt, all in the caller's transaction. It
// reports false, changing nothing, when the gift was already paid.
func (s *Service) markPaidTx(ctx context.Context, tx *sql.Tx, id int64, at time.Time, site settings.Settings, send bool) (bool, error) {
	var got int64
	err := tx.QueryRowContext(ctx, `UPDATE donations SET status = 'paid', paid_at = $1, updated_at = $2
		WHERE id = $3 AND status IN ('pending', 'pledged', 'failed', 'expired') RETURNING id`, at.UTC(), s.now(), id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark gift paid: %w", err)
	}
	year := at.UTC().Year()
	seq, err := nextNumber(ctx, tx, "receipt:"+strconv.Itoa(year))
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE donations SET receipt_no = $1, receipt_org_name = $2, receipt_org_address = $3 WHERE id = $4`,
		ReceiptNumber(year, seq), site.OrgName, site.PostalAddress, id); err != nil {
		return false, fmt.Errorf("issue receipt: %w", err)
	}
	d, err := getDonation(ctx, tx, "d.id = $1", id)
	if err != nil {
		return false, err
	}
	if d.Newsletter && d.DonorEmail != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE donors SET newsletter_wish = TRUE, newsletter_wish_at = $1 WHERE id = $2`, s.now(), d.DonorID); err != nil {
			return false, fmt.Errorf("note newsletter wish: %w", err)
		}
	}
	if send && d.DonorEmail != "" {
		if err := s.enqueueThanks(ctx, tx, d, false); err != nil {
			return false, err
		}
	}
	return true, nil
}

// ---- Signed links ----

func (s *Service) linkKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	k := s.key
	s.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := s.settings.Secret(ctx, "donations")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.key = k
	s.mu.Unlock()
	return k, nil
}

// prepare loads what a write transaction may need from outside it: the
// organisation's details for receipts and the signing key for links (with
// SQLite the writer is one connection, so nothing may be read through it
// from inside a transaction).
func (s *Service) prepare(ctx context.Context) (settings.Settings, error) {
	if _, err := s.linkKey(ctx); err != nil {
		return settings.Settings{}, err
	}
	return s.settings.Get(ctx)
}

// sign makes a token "<id>.<mac>" for a purpose. It never expires: a
// receipt stays downloadable, and a monthly gift stays cancellable.
func (s *Service) sign(ctx context.Context, purpose string, id int64) (string, error) {
	k, err := s.linkKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	fmt.Fprintf(m, "%s:%d", purpose, id)
	return strconv.FormatInt(id, 10) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18]), nil
}

// verify returns the id in a token made by sign for purpose.
func (s *Service) verify(ctx context.Context, purpose, tok string) (int64, error) {
	idStr, _, ok := strings.Cut(tok, ".")
	id, err := strconv.ParseInt(idStr, 10, 64)
	if !ok || err != nil || id <= 0 || len(tok) > 64 {
		return 0, errs.ErrNotFound
	}
	want, err := s.sign(ctx, purpose, id)
	if err != nil {
		return 0, err
	}
	if !hmac.Equal([]byte(want), []byte(tok)) {
		return 0, errs.ErrNotFound
	}
	return id, nil
}

// ReceiptToken returns the signed token of a gift's receipt link.
func (s *Service) ReceiptToken(ctx context.Context, id int64) (string, error) {
	return s.sign(ctx, "receipt", id)
}

// CancelToken returns the signed token of a monthly gift's cancel link.
func (s *Service) CancelToken(ctx context.Context, planID int64) (string, error) {
	return s.sign(ctx, "cancel", planID)
}

// ReceiptByToken returns the gift behind a receipt link, if it has a receipt.
func (s *Service) ReceiptByToken(ctx context.Context, tok string) (Donation, error) {
	id, err := s.verify(ctx, "receipt", tok)
	if err != nil {
		return Donation{}, err
	}
	d, err := s.Get(ctx, id)
	if err != nil {
		return d, err
	}
	if !d.HasReceipt() {
		return d, errs.ErrNotFound
	}
	return d, nil
}

// PlanByCancelToken returns the monthly gift behind a cancel link.
func (s *Service) PlanByCancelToken(ctx context.Context, tok string) (Plan, error) {
	id, err := s.verify(ctx, "cancel", tok)
	if err != nil {
		return Plan{}, err
	}
	return s.Plan(ctx, id)
}

// CancelPlan stops a monthly gift: at the provider first (so that no
// further payment is taken), then here. Cancelling twice is harmless.
func (s *Service) CancelPlan(ctx context.Context, id int64) error {
	p, err := s.Plan(ctx, id)
	if err != nil {
		return err
	}
	if p.Status == PlanCancelled {
		return nil
	}
	if p.SubscriptionID != "" {
		prov, ok := s.providers[p.Provider]
		if !ok {
			return fmt.Errorf("monthly gift %d: provider %q is not configured", p.ID, p.Provider)
		}
		if err := prov.CancelRecurring(ctx, p.SubscriptionID); err != nil {
			return err
		}
	} else if p.Status == PlanPending {
		return errs.Invalid("", "This monthly gift has not started yet, so there is nothing to cancel. If you were charged, please contact us.")
	}
	now := s.now()
	_, err = s.db.W.ExecContext(ctx, `UPDATE donation_plans SET status = 'cancelled', status_at = $1, cancelled_at = $1, updated_at = $1
		WHERE id = $2 AND status <> 'cancelled'`, now, id)
	if err != nil {
		return fmt.Errorf("cancel monthly gift: %w", err)
	}
	return nil
}

// ---- The thank-you e-mail ----

func (s *Service) enqueueThanks(ctx context.Context, tx *sql.Tx, d Donation, resend bool) error {
	l := i18n.Default()
	pdf, err := ReceiptPDF(d)
	if err != nil {
		return err
	}
	tok, err := s.ReceiptToken(ctx, d.ID)
	if err != nil {
		return err
	}
	org := d.OrgName
	amount := Display(d.AmountMinor, d.Currency)
	var b strings.Builder
	name := d.DonorName
	if name == "" {
		name = "friend"
	}
	fmt.Fprintf(&b, "%s\n\n", l.T("Dear %s,", name))
	subject := l.T("Thank you for your gift to %s", org)
	first := true
	if d.Kind == KindMonthly {
		var earlier int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM donations WHERE plan_id = $1 AND id <> $2 AND receipt_no IS NOT NULL`,
			d.PlanID, d.ID).Scan(&earlier); err != nil {
			return fmt.Errorf("count monthly payments: %w", err)
		}
		first = earlier == 0
	}
	switch {
	case d.Kind == KindMonthly && first:
		subject = l.T("Thank you for your monthly gift to %s", org)
		fmt.Fprintf(&b, "%s\n\n", l.T("Thank you for your monthly gift of %s, which we received on %s. Gifts that come every month let us plan ahead, and we are very grateful.", amount, l.Date(d.PaidAt)))
	case d.Kind == KindMonthly:
		subject = l.T("Receipt for your monthly gift to %s", org)
		fmt.Fprintf(&b, "%s\n\n", l.T("We received this month's gift of %s on %s. Thank you for your continued support.", amount, l.Date(d.PaidAt)))
	default:
		fmt.Fprintf(&b, "%s\n\n", l.T("Thank you for your gift of %s, which we received on %s.", amount, l.Date(d.PaidAt)))
	}
	if resend {
		subject = l.T("Your receipt %s from %s", d.ReceiptNo, org)
	}
	if d.Dedication != "" {
		fmt.Fprintf(&b, "%s\n\n", l.T("Your gift is dedicated: %s", d.Dedication))
	}
	fmt.Fprintf(&b, "%s\n%s\n\n", l.T("Your receipt %s is attached, and you can download it again at any time here:", d.ReceiptNo),
		s.baseURL+"/donate/receipt/"+tok)
	if d.GiftAid {
		fmt.Fprintf(&b, "%s\n\n", l.T("You made this declaration with your gift: %s", d.GiftAidText))
	}
	if d.Kind == KindMonthly && d.PlanID != 0 {
		ct, err := s.CancelToken(ctx, d.PlanID)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\n%s\n\n", l.T("You can stop your monthly gift at any time here:"), s.baseURL+"/donate/monthly/"+ct)
	}
	fmt.Fprintf(&b, "%s\n— %s\n", l.T("With thanks,"), org)
	return s.outbox.EnqueueTx(ctx, tx, "donation-receipt", mail.Message{
		To: d.DonorEmail, Subject: subject, Text: b.String(),
		Attachments: []mail.Attachment{{Name: "receipt-" + d.ReceiptNo + ".pdf", ContentType: "application/pdf", Data: pdf}},
	})
}

// ResendReceipt e-mails a gift's receipt again.
func (s *Service) ResendReceipt(ctx context.Context, id int64) error {
	if _, err := s.prepare(ctx); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := getDonation(ctx, tx, "d.id = $1", id)
		if err != nil {
			return err
		}
		if !d.HasReceipt() {
			return errs.Invalid("", "This gift has no receipt: it has not been paid.")
		}
		if d.DonorEmail == "" {
			return errs.Invalid("", "This donor has no e-mail address; download the receipt and post it.")
		}
		return s.enqueueThanks(ctx, tx, d, true)
	})
}

// ---- The receipt PDF ----

// ReceiptPDF renders a gift's receipt: the organisation's name and address
// (as they were when the receipt was issued), the donor, the amount and
// currency, the date, the receipt number and the payment method. Fonts are
// embedded (Go fonts), so any name prints and nothing is fetched.
func ReceiptPDF(d Donation) ([]byte, error) {
	if !d.HasReceipt() {
		return nil, errs.Invalid("", "This gift has no receipt.")
	}
	l := i18n.Default()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Receipt "+d.ReceiptNo, true)
	pdf.SetAuthor(d.OrgName, true)
	pdf.SetCreator("Coalition", true)
	pdf.SetCreationDate(d.PaidAt)
	pdf.SetModificationDate(d.PaidAt)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AddPage()
	pdf.SetFont("go", "B", 16)
	pdf.MultiCell(0, 8, d.OrgName, "", "L", false)
	pdf.SetFont("go", "", 10)
	for _, line := range strings.Split(d.OrgAddress, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			pdf.CellFormat(0, 5, line, "", 1, "L", false, 0, "")
		}
	}
	pdf.Ln(10)
	pdf.SetFont("go", "B", 20)
	pdf.CellFormat(0, 10, l.T("Donation receipt"), "", 1, "L", false, 0, "")
	pdf.Ln(4)
	row := func(label, value string) {
		pdf.SetFont("go", "B", 11)
		pdf.CellFormat(55, 7, label, "", 0, "L", false, 0, "")
		pdf.SetFont("go", "", 11)
		pdf.MultiCell(0, 7, value, "", "L", false)
	}
	kind := l.T("One-off gift")
	if d.Kind == KindMonthly {
		kind = l.T("Monthly gift")
	}
	row(l.T("Receipt number"), d.ReceiptNo)
	row(l.T("Date received"), l.Date(d.PaidAt))
	row(l.T("Received from"), d.DonorName)
	if d.DonorEmail != "" {
		row(l.T("E-mail"), d.DonorEmail)
	}
	row(l.T("Amount"), Display(d.AmountMinor, d.Currency)+" ("+d.Currency+")")
	row(l.T("Payment method"), l.T(d.Method.Label()))
	row(l.T("Type"), kind)
	if d.AppealTitle != "" {
		row(l.T("Appeal"), d.AppealTitle)
	}
	if d.Dedication != "" {
		row(l.T("Dedication"), d.Dedication)
	}
	if d.Status == StatusRefunded || d.RefundedMinor > 0 {
		row(l.T("Refunded"), Display(d.RefundedMinor, d.Currency)+" — "+l.Date(d.RefundedAt))
	}
	if d.GiftAid {
		pdf.Ln(4)
		pdf.SetFont("go", "B", 11)
		pdf.CellFormat(0, 7, l.T("Declaration"), "", 1, "L", false, 0, "")
		pdf.SetFont("go", "", 10)
		pdf.MultiCell(0, 5, d.GiftAidText, "", "L", false)
	}
	pdf.Ln(8)
	pdf.SetFont("go", "", 10)
	pdf.MultiCell(0, 5, l.T("Thank you for your support. No goods or services were provided in return for this gift."), "", "L", false)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", d.ReceiptNo, err)
	}
	return buf.Bytes(), nil
}
