package donations

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Provider is an online payment service (Stripe today; PayPal or
// GoCardless could follow). The site never sees card or bank details: a
// provider hosts the payment page, and reports the outcome by webhook,
// which it translates into provider-neutral Events. The rest of the package
// knows nothing else about it.
type Provider interface {
	// Name is the provider's key in the database and in webhook URLs ("stripe").
	Name() string
	// StartCheckout creates a hosted payment page for a gift and returns
	// where to send the donor.
	StartCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	// CancelRecurring stops a recurring gift at the provider.
	CancelRecurring(ctx context.Context, subscriptionID string) error
	// ParseWebhook checks a webhook's signature and translates it. A
	// delivery that is not authentic returns an error wrapping
	// ErrBadSignature and must change nothing.
	ParseWebhook(body []byte, header http.Header) (Event, error)
	// CheckoutOrigins are the origins the donor's browser is sent to (for
	// the Content-Security-Policy form-action of the donate page).
	CheckoutOrigins() []string
}

// PaymentResolver is implemented by providers that can say which invoice a
// payment belongs to, so that a refund of a recurring payment can be
// matched when the invoice event did not carry the payment's id.
type PaymentResolver interface {
	InvoiceForPayment(ctx context.Context, paymentID string) (string, error)
}

// ErrBadSignature marks a webhook delivery that is not authentic.
var ErrBadSignature = errors.New("webhook signature is not valid")

// ErrProvider marks a failure of the payment provider (unreachable, or it
// refused the request); the donor can try again.
var ErrProvider = errors.New("payment provider error")

// CheckoutRequest is what a provider needs to host the payment page.
type CheckoutRequest struct {
	Ref         string // our reference, returned in every event about this gift
	Monthly     bool
	AmountMinor int64
	Currency    string // ISO code, upper case
	Email       string
	Description string // shown on the payment page: "Donation to …"
	SuccessURL  string // built by the server, never taken from the request
	CancelURL   string
}

// Checkout is a created payment page.
type Checkout struct {
	SessionID string
	URL       string
}

// EventKind is the provider-neutral meaning of a webhook event.
type EventKind string

// Event kinds.
const (
	EventIgnored           EventKind = "ignored"            // nothing to do with donations
	EventCheckoutCompleted EventKind = "checkout.completed" // the donor finished the payment page
	EventCheckoutPaid      EventKind = "checkout.paid"      // a delayed payment method succeeded
	EventCheckoutFailed    EventKind = "checkout.failed"    // a delayed payment method failed
	EventCheckoutExpired   EventKind = "checkout.expired"   // the donor never finished
	EventInvoicePaid       EventKind = "invoice.paid"       // a recurring payment (first or renewal) succeeded
	EventInvoiceFailed     EventKind = "invoice.failed"     // a recurring payment failed
	EventRecurringEnded    EventKind = "recurring.ended"    // a recurring gift was cancelled
	EventRefund            EventKind = "refund"             // a payment was refunded, fully or in part
)

// Event is one webhook event, translated. Fields that do not apply are empty.
type Event struct {
	ID             string    // the provider's event id: each is applied once
	Type           string    // the provider's own event type, for the log
	Kind           EventKind //
	Created        time.Time // when the provider created the event
	Ref            string    // our reference (metadata / client reference)
	Monthly        bool      // the checkout was for a recurring gift
	Paid           bool      // for checkout.completed: the money is in
	SessionID      string
	PaymentID      string // payment (intent) id: what refunds refer to
	InvoiceID      string
	SubscriptionID string
	CustomerID     string
	AmountMinor    int64
	RefundedMinor  int64 // cumulative amount refunded
	Currency       string
	Method         string // "card", …
}
