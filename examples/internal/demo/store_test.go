package demo

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// waitMigrated polls until st's migrations are done, failing after a
// generous bound.
func waitMigrated(t *testing.T, st *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := st.Migrated()
		if err == nil {
			return
		}
		if !errors.Is(err, ErrMigrating) {
			t.Fatalf("migrations failed: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("migrations did not finish in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStoreOrders(t *testing.T) {
	t.Parallel()
	st, err := OpenStore(0, func(err error) { t.Errorf("migrations failed: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitMigrated(t, st)
	ctx := context.Background()

	o, err := st.Order(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := Order{ID: 3, Customer: "Alan Turing", Item: "Paper tape, 1 km", Quantity: 3, TotalCents: 2997, Status: "shipped"}
	if o != want {
		t.Errorf("Order(3) = %+v, want %+v", o, want)
	}
	if o, _ := st.Order(ctx, 2); o.Status != "placed" {
		t.Errorf("Order(2).Status = %q, want the migration default %q", o.Status, "placed")
	}
	if _, err := st.Order(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Order(99) err = %v, want ErrNotFound", err)
	}
}

func TestStoreCloseDuringMigrations(t *testing.T) {
	t.Parallel()
	failed := make(chan error, 1)
	st, err := OpenStore(time.Hour, func(err error) { failed <- err })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrated(); !errors.Is(err, ErrMigrating) {
		t.Fatalf("Migrated() = %v, want ErrMigrating", err)
	}
	if _, err := st.Order(context.Background(), 1); !errors.Is(err, ErrMigrating) {
		t.Fatalf("Order before migrations: err = %v, want ErrMigrating", err)
	}
	// Close must stop the hour-long migrations rather than wait for them.
	done := make(chan error, 1)
	go func() { done <- st.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the migrations")
	}
	if err := st.Migrated(); !errors.Is(err, context.Canceled) {
		t.Errorf("after Close, Migrated() = %v, want the cancellation that stopped them", err)
	}
	if err := <-failed; !errors.Is(err, context.Canceled) {
		t.Errorf("onFail got %v, want the cancellation", err)
	}
	if st.Migrations().IsDone() {
		t.Error("the startup gate opened although the migrations were stopped")
	}
	if _, err := os.Stat(st.dir); !os.IsNotExist(err) {
		t.Errorf("database directory still there after Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
