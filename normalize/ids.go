package normalize

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// rowID is a _rl_id: 12 raw bytes and their encoding as a JSON string
// of 16 base64url characters.
//
// Ids are deterministic, so normalizing a package again writes the same
// files. A root row's id encrypts its _rl_seq with AES-128 under a key
// derived (SHA-256) from the load id and table name. A child row's id
// encrypts its parent's id and its list index under a key derived from
// its table name. Under one key AES maps distinct inputs to distinct
// blocks. Ids keep 12 of the 16 bytes, so the chance of a repeated id
// among a billion rows is below one in 10^10 (birthday bound). AES is used instead of
// hashing every row because it costs a fraction of a SHA-256 digest.
type rowID struct {
	raw    [12]byte
	quoted [18]byte
}

// idDeriver derives the row ids of one table.
type idDeriver struct {
	block   cipher.Block
	in, out [aes.BlockSize]byte
}

// newIDDeriver returns the deriver of row ids of one kind ("root" or
// "child") keyed by parts.
func newIDDeriver(kind string, parts ...string) *idDeriver {
	h := sha256.New()
	h.Write([]byte("restload row id\x00" + kind))
	for _, p := range parts {
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	block, err := aes.NewCipher(h.Sum(nil)[:16])
	if err != nil {
		panic("normalize: AES-128 key of 16 bytes rejected: " + err.Error())
	}
	return &idDeriver{block: block}
}

// root returns the id of the root row with sequence number seq.
func (d *idDeriver) root(seq int64) rowID {
	d.in = [aes.BlockSize]byte{}
	binary.BigEndian.PutUint64(d.in[:], uint64(seq))
	return d.encrypt()
}

// child returns the id of the row at position idx of a list in the row
// parent. A line is shorter than 2 GiB, so idx fits 32 bits.
func (d *idDeriver) child(parent *rowID, idx int) rowID {
	copy(d.in[:], parent.raw[:])
	binary.BigEndian.PutUint32(d.in[12:], uint32(idx))
	return d.encrypt()
}

func (d *idDeriver) encrypt() rowID {
	d.block.Encrypt(d.out[:], d.in[:])
	var id rowID
	copy(id.raw[:], d.out[:])
	id.quoted[0] = '"'
	base64.RawURLEncoding.Encode(id.quoted[1:17], id.raw[:])
	id.quoted[17] = '"'
	return id
}
