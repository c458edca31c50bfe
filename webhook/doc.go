// Package webhook receives Ashby webhook deliveries over HTTP, verifies
// their signature, stores each event durably in a spool folder and loads
// the spooled events in batches.
//
// The order of work is what makes delivery safe. The handler responds 200
// only after the event file and its folder entry are fsynced, so an event
// that Ashby considers delivered survives a crash. A Batcher later passes
// spooled events to a load function and removes them from the spool only
// after that function returned nil. A crash between a load and its
// acknowledgement makes the next Batcher load the same events again, so
// the load function must be idempotent by Event.ID (the webhookActionId).
//
// Ashby sends the same webhookActionId for every retry of an event. The
// spool rejects a second copy while the first is pending and remembers a
// bounded number of acknowledged ids, so a retry that arrives after the
// load is also recognised as a duplicate.
package webhook
