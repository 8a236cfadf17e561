#!/bin/sh
# Create a throwaway CA and a leaf certificate for 127.0.0.1 / ::1 / localhost.
# Usage: make-cert.sh OUTDIR   -> OUTDIR/ca.pem, OUTDIR/ca.key, OUTDIR/leaf.pem, OUTDIR/leaf.key
# Test material only; never commit the output.
set -eu
out=${1:?usage: make-cert.sh OUTDIR}
mkdir -p "$out"
cd "$out"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
  -keyout ca.key -out ca.pem -subj "/CN=Hublink Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=127.0.0.1" 2>/dev/null

cat > leaf.ext <<'EXT'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT

openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -days 30 -sha256 -extfile leaf.ext -out leaf.pem 2>/dev/null

rm -f leaf.csr leaf.ext ca.srl
chmod 600 ca.key leaf.key
echo "$out/ca.pem $out/leaf.pem $out/leaf.key"
