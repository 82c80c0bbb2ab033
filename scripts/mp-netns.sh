#!/usr/bin/env bash
# mp-netns.sh - two network namespaces joined by TWO veth pairs: real, separate paths for multipath QUIC
# (issue 12). Nothing is routed or bridged to the host: traffic stays between the two namespaces.
#   PREFIX-c (client)  dev PREFIX-c1 10.79.1.1/24   dev PREFIX-c2 10.79.2.1/24   (+ lo up)
#   PREFIX-s (server)  dev PREFIX-s1 10.79.1.2/24   dev PREFIX-s2 10.79.2.2/24   (+ lo up)
# Path 1 is 10.79.1.1 <-> 10.79.1.2, path 2 is 10.79.2.1 <-> 10.79.2.2 (a server listening on 0.0.0.0
# answers on both). GSO is split before the veths (gso_max_segs 1) so rate limits act per datagram.
#
# Usage:
#   mp-netns.sh up [--prefix P] [--rate RATE] [--rate1 RATE] [--rate2 RATE]
#   mp-netns.sh down [--prefix P]
#   mp-netns.sh status [--prefix P]
#   --prefix P   name prefix (default pmp; at most 11 characters): namespaces P-c and P-s
#   --rate RATE  tc tbf bottleneck on every veth end of both paths (e.g. 50mbit)
#   --rate1/2    the same for one path only (overrides --rate for it)
# Delay: the kernel has no netem; put pliant relay (or the bench's relays) in front for delay.
# Run programs inside with:  ip netns exec P-c CMD...   /   ip netns exec P-s CMD...
set -u
CMD=${1:-}; [ $# -gt 0 ] && shift
PFX=pmp RATE="" RATE1="" RATE2=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PFX=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --rate1) RATE1=$2; shift 2 ;;
    --rate2) RATE2=$2; shift 2 ;;
    *) echo "mp-netns: unknown option: $1" >&2; exit 2 ;;
  esac
done
C=$PFX-c S=$PFX-s
[ ${#PFX} -le 11 ] || { echo "mp-netns: prefix too long (interface names are at most 15 characters)" >&2; exit 2; }
RATE1=${RATE1:-$RATE} RATE2=${RATE2:-$RATE}
usage() { awk 'NR>1 && /^#/ {sub(/^# ?/, ""); print; next} NR>1 {exit}' "$0"; }

down() {
  ip netns del "$C" 2>/dev/null   # deleting a namespace deletes its veth ends and with them their peers
  ip netns del "$S" 2>/dev/null
  ip link del "$PFX-c1" 2>/dev/null
  ip link del "$PFX-c2" 2>/dev/null
  return 0
}

die() { echo "mp-netns: $*" >&2; down; exit 3; }

up() {
  [ "$(id -u)" = 0 ] || { echo "mp-netns: must run as root" >&2; exit 1; }
  command -v ip >/dev/null || { echo "mp-netns: missing ip (iproute2)" >&2; exit 3; }
  ip netns list | grep -qw "^$C" && { echo "mp-netns: $C exists; run: $0 down --prefix $PFX" >&2; exit 1; }
  ip netns add "$C" || die "ip netns add $C failed"
  ip netns add "$S" || die "ip netns add $S failed"
  for ns in "$C" "$S"; do ip -n "$ns" link set lo up || die "lo up failed in $ns"; done
  for i in 1 2; do
    local vc=$PFX-c$i vs=$PFX-s$i rate
    [ "$i" = 1 ] && rate=$RATE1 || rate=$RATE2
    ip link add "$vc" type veth peer name "$vs" || die "veth $i failed"
    ip link set "$vc" netns "$C" && ip link set "$vs" netns "$S" || die "moving veth $i failed"
    ip -n "$C" addr add "10.79.$i.1/24" dev "$vc" && ip -n "$S" addr add "10.79.$i.2/24" dev "$vs" || die "addresses of path $i failed"
    ip -n "$C" link set dev "$vc" gso_max_segs 1 && ip -n "$S" link set dev "$vs" gso_max_segs 1 || die "gso_max_segs on path $i failed"
    ip -n "$C" link set "$vc" up && ip -n "$S" link set "$vs" up || die "link up of path $i failed"
    if [ -n "$rate" ]; then
      for p in "$C:$vc" "$S:$vs"; do
        out=$(tc -n "${p%%:*}" qdisc add dev "${p#*:}" root tbf rate "$rate" burst 64kb latency 50ms 2>&1) \
          || die "tc tbf failed on ${p#*:}: $out"
      done
    fi
  done
  echo "up: $C(10.79.1.1, 10.79.2.1) <-> $S(10.79.1.2, 10.79.2.2) rate1=${RATE1:-none} rate2=${RATE2:-none}"
}

status() {
  for ns in "$C" "$S"; do
    echo "== $ns"; ip -n "$ns" -br addr 2>&1; tc -n "$ns" qdisc show 2>&1 | grep -v noqueue
  done
}

case "$CMD" in
  up) up ;;
  down) down; echo "down: $C $S" ;;
  status) status ;;
  *) usage; exit 2 ;;
esac
