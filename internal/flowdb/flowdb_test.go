package flowdb

import (
	"context"
	"database/sql"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMustExist(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.duckdb"), Options{MustExist: true})
	if !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("err = %v, want ErrNoDatabase", err)
	}
}

// TestLockedDatabase: a second process gets an error that names the process holding the file.
func TestLockedDatabase(t *testing.T) {
	if os.Getenv("FLOWDB_HOLD") != "" {
		db, err := Open(context.Background(), os.Getenv("FLOWDB_HOLD"), Options{})
		if err != nil {
			os.Exit(3)
		}
		defer db.Close()
		os.Stdout.WriteString("ready\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf) // hold until the parent closes stdin
		return
	}
	path := filepath.Join(t.TempDir(), "locked.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockedDatabase$")
	cmd.Env = append(os.Environ(), "FLOWDB_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	buf := make([]byte, 6)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("holder did not start: %q %v", buf, err)
	}
	_, err := Open(context.Background(), path, Options{})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a LockedError", err)
	}
	if le.PID != itoa(cmd.Process.Pid) || !strings.Contains(le.Error(), "TestLockedDatabase") {
		t.Errorf("error %q does not name process %d", le.Error(), cmd.Process.Pid)
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// TestMemoryLimit: DuckDB gets a limit of its own, a quarter of the machine's memory at most,
// and its block allocator a pool of twice as much, whatever limit is asked for.
func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	for _, ro := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "m.duckdb")
		if ro {
			w, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
		}
		db, err := Open(ctx, path, Options{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		want := int64(WriterMemory)
		if ro {
			want = ReaderMemory
		}
		if total := physicalMemory(); total > 0 {
			want = min(want, max(total/4, 128<<20))
		}
		if limit := settingBytes(t, db, "memory_limit"); !about(limit, want) {
			t.Errorf("read-only %v: memory_limit %d bytes, want about %d", ro, limit, want)
		}
		if pool := settingBytes(t, db, "block_allocator_memory"); !about(pool, 2*want) {
			t.Errorf("read-only %v: block_allocator_memory %d bytes, want twice the memory limit, %d", ro, pool, 2*want)
		}
		db.Close()
		// A limit above the machine's memory ($FLOWSQL_MEMORY_LIMIT) opens: the block
		// allocator's pool stays within the memory DuckDB reserves for it.
		db, err = Open(ctx, path, Options{ReadOnly: ro, MemoryLimit: "100TB"})
		if err != nil {
			t.Fatal(err)
		}
		if pool := settingBytes(t, db, "block_allocator_memory"); !about(pool, 2*want) {
			t.Errorf("read-only %v, memory_limit 100TB: block_allocator_memory %d bytes, want twice flowsql's own limit, %d", ro, pool, 2*want)
		}
		db.Close()
	}
}

// settingBytes reads a DuckDB memory setting, which reads as text ("1.9 GiB"), in bytes.
func settingBytes(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	var bytes int64
	if err := db.QueryRow(`SELECT CAST(CAST(regexp_extract(current_setting($1), '^[0-9.]+') AS DOUBLE) *
            CASE regexp_extract(current_setting($1), '[A-Za-z]+$') WHEN 'KiB' THEN 1024 WHEN 'MiB' THEN 1048576
                 WHEN 'GiB' THEN 1073741824 WHEN 'TiB' THEN 1099511627776 ELSE 1 END AS BIGINT)`, name).Scan(&bytes); err != nil {
		t.Fatal(err)
	}
	return bytes
}

// about reports whether n is within 5% of want (DuckDB shows settings rounded).
func about(n, want int64) bool { return n >= want*95/100 && n <= want*105/100 }

// TestBeginTx: a stopped context begins no transaction, and stopping the context of one that
// began does not end it: only Commit or Rollback do, so the driver never runs BEGIN while the
// context is being stopped.
func TestBeginTx(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tx.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if _, err := BeginTx(stopped, db); !errors.Is(err, context.Canceled) {
		t.Fatalf("BeginTx with a stopped context: %v, want context.Canceled", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := BeginTx(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	cancel()
	time.Sleep(10 * time.Millisecond) // database/sql would roll back a transaction of ctx by now
	if _, err := tx.ExecContext(context.Background(), "CREATE TABLE t AS SELECT 1 AS x"); err != nil {
		t.Fatalf("the transaction ended with its context: %v", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("BEGIN TRANSACTION; ROLLBACK"); err != nil {
		t.Errorf("a transaction stayed open: %v", err)
	}
}
