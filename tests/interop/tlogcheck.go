// tlogcheck verifies the records log with the Go reference packages, as an outside tool would:
// the /log/checkpoint note with golang.org/x/mod/sumdb/note (the log's Ed25519 key), the witness's
// cosignature/v1 line with crypto/ed25519 (the note package knows no type 0x04 keys), and the hash
// tiles with golang.org/x/mod/sumdb/tlog's TileHashReader, which checks every tile it reads against
// the signed tree. It prints "OK <size> <base64 root>" and then the leaf hashes in hex, one a line.
//
//	tlogcheck <base URL> <log vkey> [<witness vkey>]
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: HTTP %d %v", url, resp.StatusCode, err)
	}
	return body
}

type tileReader struct{ base string }

func (r tileReader) Height() int { return 8 }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// Go names tiles tile/<H>/<L>/<N>; C2SP tlog-tiles fixes H at 8 and leaves it out.
		path := strings.TrimPrefix(t.Path(), "tile/8/")
		out[i] = get(r.base + "/log/tile/" + path)
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

func verifyCosignature(text string, msg []byte, vkey string) {
	parts := strings.SplitN(vkey, "+", 3)
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if len(parts) != 3 || err != nil || len(key) != 33 || key[0] != 0x04 {
		fail("witness vkey %q", vkey)
	}
	id := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), key[1:]...))
	if hex.EncodeToString(id[:4]) != parts[1] {
		fail("witness key ID")
	}
	prefix := "\u2014 " + parts[0] + " "
	for _, line := range strings.Split(string(msg), "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(line, prefix))
		if err != nil || len(raw) != 4+8+64 || !bytes.Equal(raw[:4], id[:4]) {
			continue
		}
		stamp := binary.BigEndian.Uint64(raw[4:12])
		signed := "cosignature/v1\ntime " + strconv.FormatUint(stamp, 10) + "\n" + text
		if !ed25519.Verify(ed25519.PublicKey(key[1:]), []byte(signed), raw[12:]) {
			fail("the cosignature by %s does not verify", parts[0])
		}
		return
	}
	fail("no cosignature by %s", parts[0])
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: tlogcheck <base URL> <log vkey> [<witness vkey>]")
	}
	base := strings.TrimRight(os.Args[1], "/")
	verifier, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail("log vkey: %v", err)
	}
	msg := get(base + "/log/checkpoint")
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q", lines[0])
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size %q", lines[1])
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("root %q", lines[2])
	}
	if len(os.Args) > 3 {
		verifyCosignature(n.Text, msg, os.Args[3])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	reader := tlog.TileHashReader(tree, tileReader{base})
	computed, err := tlog.TreeHash(size, reader)
	if err != nil {
		fail("TreeHash: %v", err)
	}
	if computed != root {
		fail("the tiles hash to %v, not the signed root %v", computed, root)
	}
	indexes := make([]int64, size)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := reader.ReadHashes(indexes)
	if err != nil {
		fail("leaf hashes: %v", err)
	}
	fmt.Printf("OK %d %s\n", size, lines[2])
	for _, leaf := range leaves {
		fmt.Println(hex.EncodeToString(leaf[:]))
	}
}
