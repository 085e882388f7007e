package donations

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/errs"
)

// PledgeRequest is a gift by bank transfer or cheque, recorded by staff.
type PledgeRequest struct {
	Name        string
	Email       string // optional: without it no receipt is e-mailed
	Amount      string
	Currency    string
	Method      string // bank_transfer, cheque or other
	AppealID    int64
	Dedication  string
	Note        string // e.g. the cheque number or the bank reference
	Received    bool   // the money is already in
	ReceivedOn  string // YYYY-MM-DD; today when empty
	SendReceipt bool   // e-mail the receipt when received
}

// RecordPledge records a pledge (or a gift already received) for staff
// member by.
func (s *Service) RecordPledge(ctx context.Context, by int64, r PledgeRequest) (Donation, error) {
	fe := map[string]string{}
	name, ok := cleanText(r.Name, 200)
	if !ok {
		fe["name"] = "Use at most 200 characters, on one line."
	} else if name == "" {
		fe["name"] = "Enter the donor's name."
	}
	email := ""
	if strings.TrimSpace(r.Email) != "" {
		e, err := accounts.NormalizeEmail(r.Email)
		if err != nil {
			fe["email"] = "Enter a valid e-mail address, or leave it empty."
		}
		email = e
	}
	c, ok := LookupCurrency(r.Currency)
	if !ok {
		fe["currency"] = "Choose a currency."
		c = s.curr[0]
	}
	amount, err := ParseAmount("amount", r.Amount, c)
	if ie, ok := errs.AsInvalid(err); ok {
		fe["amount"] = ie.Msg
	} else if err != nil {
		return Donation{}, err
	}
	method := Method(r.Method)
	switch method {
	case MethodBankTransfer, MethodCheque, MethodOther:
	default:
		fe["method"] = "Choose bank transfer, cheque or other."
	}
	dedication, ok := cleanText(r.Dedication, 200)
	if !ok {
		fe["dedication"] = "Use at most 200 characters, on one line."
	}
	note := strings.TrimSpace(r.Note)
	if len(note) > 1000 || strings.ContainsRune(note, 0) {
		fe["note"] = "Use at most 1000 characters."
	}
	received := s.now()
	if r.Received && strings.TrimSpace(r.ReceivedOn) != "" {
		t, err := time.Parse("2006-01-02", strings.TrimSpace(r.ReceivedOn))
		if err == nil {
			received, err = s.receivedAt(t)
		}
		if err != nil {
			fe["received_on"] = "Enter the date the money arrived (not in the future), like 2026-03-31."
		}
	}
	if r.AppealID != 0 {
		if _, err := s.AppealByID(ctx, r.AppealID); errors.Is(err, errs.ErrNotFound) {
			fe["appeal"] = "Choose an appeal from the list."
		} else if err != nil {
			return Donation{}, err
		}
	}
	if len(fe) > 0 {
		return Donation{}, &FormError{Fields: fe}
	}
	site, err := s.prepare(ctx)
	if err != nil {
		return Donation{}, err
	}
	var id int64
	now := s.now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		donor, err := upsertDonor(ctx, tx, email, name, now)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO donations (ref, donor_id, appeal_id, kind, method, provider, amount_minor, currency,
			status, dedication, note, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, 'one_off', $4, 'manual', $5, $6, 'pledged', $7, $8, $9, $10, $10) RETURNING id`,
			newRef(), donor, nullID(r.AppealID), string(method), amount, c.Code, dedication, note, nullID(by), now).Scan(&id)
		if err != nil {
			return fmt.Errorf("record pledge: %w", err)
		}
		if r.Received {
			if _, err := s.markPaidTx(ctx, tx, id, received, site, r.SendReceipt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Donation{}, err
	}
	return s.Get(ctx, id)
}

// MarkReceived records that a pledge's money arrived on day (a calendar
// date; today when zero), issuing its receipt and, if send, e-mailing it.
func (s *Service) MarkReceived(ctx context.Context, id int64, day time.Time, send bool) error {
	day, err := s.receivedAt(day)
	if err != nil {
		return err
	}
	site, err := s.prepare(ctx)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := getDonation(ctx, tx, "d.id = $1", id)
		if err != nil {
			return err
		}
		if d.Status != StatusPledged {
			return errs.Invalid("", "Only a pledge can be marked received.")
		}
		_, err = s.markPaidTx(ctx, tx, id, day, site, send)
		return err
	})
}

// receivedAt turns the calendar date money arrived into the time recorded:
// now for today (or no date), midday for an earlier day; a future date is
// refused.
func (s *Service) receivedAt(day time.Time) (time.Time, error) {
	now := s.now()
	if day.IsZero() {
		return now, nil
	}
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch {
	case d.After(today):
		return time.Time{}, errs.Invalid("received_on", "The date cannot be in the future.")
	case d.Equal(today):
		return now, nil
	}
	return d.Add(12 * time.Hour), nil
}

// CancelPledge records that a pledge will not come.
func (s *Service) CancelPledge(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, `UPDATE donations SET status = 'cancelled', updated_at = $1 WHERE id = $2 AND status = 'pledged'`, s.now(), id)
	if err != nil {
		return fmt.Errorf("cancel pledge: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errs.Invalid("", "Only a pledge that has not been received can be cancelled.")
	}
	return nil
}

// MarkRefunded records that a paid gift was paid back in full outside the
// site (a bank transfer returned, or a refund made in the provider's
// dashboard before its webhook arrives). The receipt keeps its number.
func (s *Service) MarkRefunded(ctx context.Context, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := getDonation(ctx, tx, "d.id = $1", id)
		if err != nil {
			return err
		}
		if d.Status != StatusPaid {
			return errs.Invalid("", "Only a paid gift can be marked refunded.")
		}
		return applyRefundTx(ctx, tx, d, d.AmountMinor, s.now())
	})
}
