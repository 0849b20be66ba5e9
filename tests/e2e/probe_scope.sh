#!/usr/bin/env bash
# probe_scope.sh -- `defuse probe` refuses targets outside --scope before
# any packet is sent: recording listeners on 127.0.0.1 and 127.0.0.2 see no
# contact when one target of the run is outside the scope (neither the
# outside one nor the inside one is contacted), when a host name resolves
# outside the CIDRs, when --scope is missing, and in a dry run; with the
# target inside the scope the listener does see the probe (so the recorder
# can fail the test), and the request carries the banner.
source "$(dirname "$0")/honeypot/common.sh"
read -r P1 P2 PC < <(freeports 3)
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    { echo "SKIP: 127.0.0.2 not usable"; exit 77; }
REC=$DEFUSE_SRC/tests/e2e/probe/recorder.py
bg_start python3 "$REC" 127.0.0.1 "$P1" "$T/c1" >"$T/r1.out"
bg_start python3 "$REC" 127.0.0.2 "$P2" "$T/c2" >"$T/r2.out"
wait_file "$T/r1.out"
wait_file "$T/r2.out"
: >"$T/c1"
: >"$T/c2"
COMMON=(--callback "127.0.0.1:$PC" --wait 0 --points path,header --headers User-Agent --variants plain)

no_contact() { # description
    sleep 0.3
    [ ! -s "$T/c1" ] && [ ! -s "$T/c2" ] ||
        fail "$1: the recorders were contacted: $(cat "$T/c1" "$T/c2")"
    # the callback port must not have been bound either
    if python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$PC"; then
        fail "$1: something listens on the callback port"
    fi
}

run() { # expected-exit description args...
    local want=$1 desc=$2 st=0
    shift 2
    "$DEFUSE" probe "$@" >"$T/out" 2>"$T/err" || st=$?
    [ "$st" -eq "$want" ] || fail "$desc: exit $st, want $want: $(cat "$T/err")"
}

run 2 "one target outside" --scope 127.0.0.1/32 "${COMMON[@]}" \
    "http://127.0.0.1:$P1/in" "http://127.0.0.2:$P2/out"
grep -q "127.0.0.2:$P2/out: refused: 127.0.0.2 (127.0.0.2) is outside --scope" "$T/err" ||
    fail "refusal message: $(cat "$T/err")"
no_contact "one target outside"
ok "a run with one target outside --scope is refused whole, nothing contacted: $(tail -1 "$T/err")"

run 2 "host name resolving outside" --scope 10.0.0.0/8 "${COMMON[@]}" "http://localhost:$P1/"
grep -q "refused: localhost" "$T/err" || fail "localhost refusal: $(cat "$T/err")"
no_contact "host name resolving outside"
ok "a host name resolving outside the CIDRs is refused"

run 2 "no --scope" "${COMMON[@]}" "http://127.0.0.1:$P1/"
grep -q -- "--scope is required" "$T/err" || fail "missing --scope message: $(cat "$T/err")"
run 2 "bad --scope" --scope 127.0.0.1/99 "${COMMON[@]}" "http://127.0.0.1:$P1/"
grep -q "is not a CIDR" "$T/err" || fail "bad --scope message: $(cat "$T/err")"
no_contact "no --scope"
ok "no --scope or a malformed one: refused, nothing contacted"

run 0 "dry run" --scope localhost "${COMMON[@]}" --dry-run "http://localhost:$P1/app"
grep -q "^GET http://localhost:$P1/app/%24%7bjndi" "$T/out" || grep -qi "^GET http://localhost:$P1/app/%24%7Bjndi" "$T/out" ||
    fail "dry run did not print the path request: $(head -5 "$T/out")"
grep -q "^  X-Defuse-Probe: run=" "$T/out" || fail "dry run: no X-Defuse-Probe header"
no_contact "dry run"
ok "dry run (host name in --scope): prints $(grep -c '^GET' "$T/out") requests, sends nothing"

# a parameter name that would break a multipart part or an XML element is
# refused before anything is sent (not sent malformed); as a query it is fine
for bad in 'a<b' 'x"y' '1q' 'a/b'; do
    run 2 "--params '$bad' with xml" --scope 127.0.0.1 "${COMMON[@]}" --points xml,multipart \
        --params "$bad" "http://127.0.0.1:$P1/app"
    grep -q "cannot name a multipart part or an XML element" "$T/err" || fail "--params '$bad': $(cat "$T/err")"
done
no_contact "refused parameter names"
run 0 "--params 1q as a query (dry run)" --scope 127.0.0.1 "${COMMON[@]}" --points query --params 1q \
    --dry-run "http://127.0.0.1:$P1/app"
ok "names that cannot be a part or an element are refused for multipart/xml, nothing sent"

run 0 "inside" --scope 127.0.0.0/30 "${COMMON[@]}" --contact "secops x1234" "http://127.0.0.1:$P1/in"
sleep 0.3
[ "$(grep -c '^contact' "$T/c1")" -eq 2 ] || fail "inside the scope: want 2 contacts: $(cat "$T/c1")"
grep -q "'X-Defuse-Probe': 'run=.*contact=secops x1234'" "$T/c1" || fail "no X-Defuse-Probe banner: $(cat "$T/c1")"
grep -q "'User-Agent': '.*defuse-probe/.*(+secops x1234)'" "$T/c1" || fail "no User-Agent banner: $(cat "$T/c1")"
[ ! -s "$T/c2" ] || fail "127.0.0.2 contacted"
ok "inside the scope: the recorder saw both requests, each with the banner"
