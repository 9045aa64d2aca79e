package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary run as paraat itself (PARAAT_TEST_MAIN=1), so that a test can
// start real `paraat serve` processes without building the command first.
func TestMain(m *testing.M) {
	if os.Getenv("PARAAT_TEST_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// TestSecondServerOnSQLiteFile starts two real `paraat serve` processes on one SQLite file:
// the second must refuse with a clear error and leave the first serving; once the first is
// gone (killed, so the kernel drops its lock), a new one starts.
func TestSecondServerOnSQLiteFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	start := func() (*exec.Cmd, *bufio.Reader) {
		cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", db)
		cmd.Env = append(os.Environ(), "PARAAT_TEST_MAIN=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, bufio.NewReader(out)
	}
	first, out := start()
	line, err := out.ReadString('\n')
	if err != nil || !strings.Contains(line, "serving") {
		t.Fatalf("first server: %q %v", line, err)
	}

	second := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", db)
	second.Env = append(os.Environ(), "PARAAT_TEST_MAIN=1")
	done := make(chan struct{})
	var got []byte
	var werr error
	go func() { got, werr = second.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		second.Process.Kill()
		t.Fatal("the second server did not refuse")
	}
	if code := second.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(got), "another paraat serve process already serves") {
		t.Fatalf("second server: exit %d %v: %s", code, werr, got)
	}
	if first.ProcessState != nil {
		t.Fatal("the first server stopped")
	}

	first.Process.Kill()
	first.Wait()
	_, out = start()
	if line, err := out.ReadString('\n'); err != nil || !strings.Contains(line, "serving") {
		t.Fatalf("a server after the first was killed: %q %v", line, err)
	}
}
