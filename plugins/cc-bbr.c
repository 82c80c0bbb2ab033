/* cc-bbr — BBRv3 (draft-ietf-ccwg-bbr-06) as a WASM congestion controller, written from the draft's §5 pseudocode.
 *
 * It replaces cc.window and cc.pacing_rate with its model's answers and takes over cc.on_ack,
 * cc.on_congestion_event and cc.on_ecn; the native controller underneath only keeps the bytes-in-flight
 * bookkeeping. The core's delivery-rate sampler (§4.1.2) hands it each ACK's rate sample through the Rs*
 * fields and each loss batch's newest packet through the Lost* fields (docs/plugin-abi.md §4); packet.on_lost
 * counts lost ranges for the Startup loss exit (§5.3.1.3).
 *
 * State machine: Startup, Drain, ProbeBW DOWN/CRUISE/REFILL/UP, ProbeRTT. Model: max_bw (windowed max over
 * two ProbeBW cycles), min_rtt (10 s, ProbeRTT every 5 s), extra_acked (10 rounds), inflight_longterm
 * (learnt from loss while probing), bw_shortterm / inflight_shortterm (cut by Beta = 0.7 per lossy round
 * when not probing). Loss that does not exceed LossThresh (2 %) by three binomial standard deviations (of the
 * window's packet count) cuts neither bound: the native controller's deviation for random loss, kept alike so
 * that the two stay comparable (is_inflight_too_high; src/Pliant.Quic/Recovery/Bbr.Model.cs says why).
 *
 * Differences from the draft, forced by the ABI: losses arrive per batch, so HandleLostPacket runs once per
 * batch from the batch's newest packet (its tx_in_flight and C.lost - P.lost), the batch's packets taken as
 * datagrams lost in turn to find the one that crossed LossThresh; C.is_cwnd_limited is sampled after each packet sent (when the core asks
 * cc.pacing_rate); the restart from idle runs at the first pacing question after an ACK left nothing in
 * flight with the sampler application-limited; ProbeRTT's "MarkConnectionAppLimited" is kept in the plugin
 * (samples whose packet left during it count as application-limited). The spurious-loss undo (§5.5.11) is
 * not implemented (the core does not detect spurious losses).
 *
 * Per path: paths 0..7 each have their own model (arg(5)); any other path id gets the native answers.
 * The window answered is never below 4 datagrams of the current datagram size (BBR.MinPipeCwnd), above the ABI's
 * bound of 2. */
#include "pliant.h"

PLIANT_MANIFEST({
  "id": "cc-bbr", "version": "1", "init": "init",
  "bindings": [
    {"operation": "cc.window",             "anchor": "replace", "export": "window"},
    {"operation": "cc.pacing_rate",        "anchor": "replace", "export": "pacing_rate"},
    {"operation": "cc.on_ack",             "anchor": "replace", "export": "on_ack"},
    {"operation": "cc.on_congestion_event","anchor": "replace", "export": "on_congestion"},
    {"operation": "cc.on_ecn",             "anchor": "replace", "export": "on_ecn"},
    {"operation": "packet.on_lost",        "anchor": "post",    "export": "on_lost"}
  ]
});

/* §2.7-2.8, §5.3.3.6: the constants. */
#define STARTUP_PACING_GAIN 2.77   /* 4 ln 2 */
#define DRAIN_PACING_GAIN 0.5
#define DEFAULT_CWND_GAIN 2.0
#define PROBE_UP_PACING_GAIN 1.25
#define PROBE_UP_CWND_GAIN 2.25
#define PROBE_DOWN_PACING_GAIN 0.90
#define PROBE_RTT_CWND_GAIN 0.5
#define LOSS_THRESH 0.02
#define LOSS_SIGMAS 3.0   /* not in the draft: see is_inflight_too_high */
#define BETA 0.7
#define HEADROOM 0.15
#define PACING_MARGIN 0.99         /* BBR.PacingMarginPercent = 1 */
#define MIN_RTT_FILTER_LEN_US 10000000LL
#define PROBE_RTT_DURATION_US 200000LL
#define PROBE_RTT_INTERVAL_US 5000000LL
#define EXTRA_ACKED_FILTER_LEN 10
#define STARTUP_FULL_LOSS_COUNT 6
#define INF 1e300                  /* "Infinity" of the pseudocode */
#define NO_RTT 0x7fffffffffffffffLL
#define MAX_PATHS 8

enum state { STARTUP, DRAIN, PROBE_BW_DOWN, PROBE_BW_CRUISE, PROBE_BW_REFILL, PROBE_BW_UP, PROBE_RTT };
enum ack_phase { ACKS_INIT, ACKS_REFILLING, ACKS_PROBE_STARTING, ACKS_PROBE_FEEDBACK, ACKS_PROBE_STOPPING };

/* One ACK's rate sample, as the core measured it (§4.1.2.3), plus what BBR reads beside it. */
typedef struct {
    double delivery_rate;          /* bytes/s, 0: none */
    int64_t delivered, prior_delivered, tx_in_flight, lost, rtt, newly_acked;
    int is_app_limited;
} sample_t;

typedef struct {
    int ready;
    int64_t mds, initial_cwnd;
    uint64_t random;
    enum state state;
    double pacing_gain, cwnd_gain;
    double pacing_rate;            /* C.pacing_rate, bytes/s */
    int64_t cwnd;                  /* C.cwnd */
    int64_t now, delivered, inflight;
    int has_seen_rtt;
    sample_t rs;

    /* §5.5.1 rounds */
    int64_t next_round_delivered, round_count;
    int round_start;
    /* §5.3.1 Startup / full pipe */
    double full_bw;
    int full_bw_count, full_bw_now, full_bw_reached;
    int64_t drain_start_round;
    /* §5.3.3 ProbeBW */
    enum ack_phase ack_phase;
    int64_t cycle_count, cycle_stamp, bw_probe_wait, rounds_since_probe_up;
    int bw_probe_up_rounds;
    double bw_probe_up_acked, probe_up_acked_per_inc;
    int is_bw_probe_sample, prev_probe_too_high, prev_probe_precautionary;
    /* §5.5 model */
    double max_bw_by_cycle[2], max_bw, bw, bw_shortterm, inflight_shortterm, inflight_longterm;
    double bw_latest, inflight_latest;
    int64_t min_rtt, min_rtt_stamp;
    /* §5.5.10.3 congestion signals */
    int64_t loss_round_delivered;
    int loss_round_start, is_loss_in_round, ce_in_round;
    int64_t lost_in_round, loss_ranges_in_round, last_lost_pn;
    int64_t round_lost, round_loss_ranges;   /* the last completed loss round's figures */
    int64_t round_delivered, loss_round_start_delivered;
    double round_inflight_latest;
    /* §5.3.4 ProbeRTT */
    int64_t probe_rtt_min_delay, probe_rtt_min_stamp, probe_rtt_done_stamp;
    int probe_rtt_expired, probe_rtt_round_done, idle_restart;
    int64_t app_limited_from, app_limited_until; /* plugin-side MarkConnectionAppLimited (ProbeRTT): C.delivered range */
    int app_limited;
    /* §5.5.9 extra_acked */
    double extra_acked_by_round[EXTRA_ACKED_FILTER_LEN], extra_acked_delivered, extra_acked;
    int64_t extra_acked_interval_start;
    /* §5.6.4 cwnd */
    int64_t prior_cwnd, recovery_start, recovery_round;
    int in_recovery, cwnd_limited_in_round, is_cwnd_limited, maybe_idle;
    /* counters for tests */
    int64_t acks, congestion_events, probe_rtts, startup_exit_loss;
} bbr_t;

static bbr_t paths[MAX_PATHS];

static double dmax(double a, double b) { return a > b ? a : b; }
static double dmin(double a, double b) { return a < b ? a : b; }
static int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/* A double to bytes without trapping (wasm's float-to-int traps on NaN and overflow). */
static int64_t to_i64(double x)
{
    if (!(x > 0)) return 0;
    if (x > 4e18) return 4000000000000000000LL;
    return (int64_t)x;
}

static uint64_t next_random(bbr_t *b)
{
    /* xorshift64: seeded per path, so a simulation is reproducible */
    b->random ^= b->random << 13;
    b->random ^= b->random >> 7;
    b->random ^= b->random << 17;
    return b->random;
}

static int64_t field(int64_t path, int f) { return pl_get_path_field(path, f); }

static bbr_t *path_state(int64_t *path_out);

/* ---- §5.6 control parameters ---- */

static double min_pipe_cwnd(bbr_t *b) { return 4.0 * (double)b->mds; }
static double bdp(bbr_t *b) { return b->min_rtt == NO_RTT ? (double)b->initial_cwnd : b->bw * (double)b->min_rtt / 1e6; }
static double bdp_multiple(bbr_t *b, double gain) { return b->min_rtt == NO_RTT ? (double)b->initial_cwnd : gain * bdp(b); }

static double quantization_budget(bbr_t *b, double cap)
{
    /* QUIC's offload budget is the send quantum (§5.5.8): 1 ms at the pacing rate, within 2 datagrams..64 KB. */
    double quantum = dmax(dmin(b->pacing_rate / 1000.0, 65536.0), 2.0 * (double)b->mds);
    cap = dmax(cap, quantum);
    cap = dmax(cap, min_pipe_cwnd(b));
    if (b->state == PROBE_BW_UP) cap += 2.0 * (double)b->mds;
    return cap;
}

static double inflight_for(bbr_t *b, double gain) { return quantization_budget(b, bdp_multiple(b, gain)); }
static double probe_rtt_cwnd(bbr_t *b) { return dmax(bdp_multiple(b, PROBE_RTT_CWND_GAIN), min_pipe_cwnd(b)); }

static double inflight_with_headroom(bbr_t *b)
{
    if (b->inflight_longterm >= INF) return INF;
    double headroom = dmax((double)b->mds, HEADROOM * b->inflight_longterm);
    return dmax(b->inflight_longterm - headroom, min_pipe_cwnd(b));
}

static void set_pacing_rate_with_gain(bbr_t *b, double gain)
{
    double rate = gain * b->bw * PACING_MARGIN;
    if (b->full_bw_reached || rate > b->pacing_rate) b->pacing_rate = rate;
}

static void save_cwnd(bbr_t *b)
{
    if (!b->in_recovery && b->state != PROBE_RTT) b->prior_cwnd = b->cwnd;
    else b->prior_cwnd = imax(b->prior_cwnd, b->cwnd);
}

static void restore_cwnd(bbr_t *b) { b->cwnd = imax(b->cwnd, b->prior_cwnd); }

static int is_in_probe_bw(bbr_t *b)
{
    return b->state == PROBE_BW_DOWN || b->state == PROBE_BW_CRUISE || b->state == PROBE_BW_REFILL || b->state == PROBE_BW_UP;
}

static int is_probing_bw(bbr_t *b) { return b->state == STARTUP || b->state == PROBE_BW_REFILL || b->state == PROBE_BW_UP; }

static void bound_cwnd_for_model(bbr_t *b)
{
    double cap = INF;
    if (is_in_probe_bw(b) && b->state != PROBE_BW_CRUISE) cap = b->inflight_longterm;
    else if (b->state == PROBE_RTT || b->state == PROBE_BW_CRUISE) cap = inflight_with_headroom(b);
    cap = dmin(cap, b->inflight_shortterm);
    cap = dmax(cap, min_pipe_cwnd(b));
    if ((double)b->cwnd > cap) b->cwnd = to_i64(cap);
}

static void set_cwnd(bbr_t *b)
{
    double max_inflight = quantization_budget(b, bdp_multiple(b, b->cwnd_gain) + b->extra_acked);
    int64_t cwnd = b->cwnd;
    if (b->full_bw_reached) cwnd = to_i64(dmin((double)(cwnd + b->rs.newly_acked), max_inflight));
    else if ((double)cwnd < max_inflight || b->delivered < b->initial_cwnd) cwnd += b->rs.newly_acked;
    cwnd = imax(cwnd, to_i64(min_pipe_cwnd(b)));
    if (b->state == PROBE_RTT) cwnd = to_i64(dmin((double)cwnd, probe_rtt_cwnd(b)));
    b->cwnd = cwnd;
    bound_cwnd_for_model(b);
}

/* ---- §5.3.1 Startup and Drain ---- */

static void enter_startup(bbr_t *b)
{
    b->state = STARTUP;
    b->pacing_gain = STARTUP_PACING_GAIN;
    b->cwnd_gain = DEFAULT_CWND_GAIN;
}

static void reset_full_bw(bbr_t *b)
{
    b->full_bw = 0;
    b->full_bw_count = 0;
    b->full_bw_now = 0;
}

static void check_full_bw_reached(bbr_t *b)
{
    if (b->full_bw_now || !b->round_start || b->rs.is_app_limited) return;
    if (b->rs.delivery_rate >= b->full_bw * 1.25) {
        reset_full_bw(b);
        b->full_bw = b->rs.delivery_rate;   /* still growing: a new baseline */
        return;
    }
    b->full_bw_count++;
    b->full_bw_now = b->full_bw_count >= 3;
    if (b->full_bw_now) b->full_bw_reached = 1;
}

/* §5.3.1.3: a full round in recovery with more than LossThresh lost over at least 6 discontiguous ranges. */
static void check_startup_high_loss(bbr_t *b)
{
    if (b->state != STARTUP || !b->loss_round_start || !b->in_recovery || b->round_count <= b->recovery_round) return;
    double lost = (double)b->round_lost;
    if (lost <= ((double)b->rs.delivered + lost) * LOSS_THRESH || b->round_loss_ranges < STARTUP_FULL_LOSS_COUNT) return;
    b->full_bw_reached = 1;
    b->startup_exit_loss = 1;
    b->inflight_longterm = dmax(bdp(b), b->round_inflight_latest);
}

static void enter_drain(bbr_t *b)
{
    b->state = DRAIN;
    b->pacing_gain = DRAIN_PACING_GAIN;
    b->cwnd_gain = DEFAULT_CWND_GAIN;
    b->drain_start_round = b->round_count;
}

static void check_startup_done(bbr_t *b)
{
    check_startup_high_loss(b);
    if (b->state == STARTUP && b->full_bw_reached) enter_drain(b);
}

/* ---- §5.5.10.3 the short-term model ---- */

static void reset_congestion_signals(bbr_t *b)
{
    b->is_loss_in_round = 0;
    b->bw_latest = 0;
    b->inflight_latest = 0;
}

static void reset_short_term_model(bbr_t *b)
{
    b->bw_shortterm = INF;
    b->inflight_shortterm = INF;
}

/* ---- §5.3.3 ProbeBW ---- */

static void start_round(bbr_t *b) { b->next_round_delivered = b->delivered; }

static void pick_probe_wait(bbr_t *b)
{
    b->rounds_since_probe_up = (int64_t)(next_random(b) & 1);                 /* 0 or 1 rounds */
    b->bw_probe_wait = 2000000 + (int64_t)(next_random(b) % 1000001ULL);      /* 2..3 s */
}

static void start_probe_bw_down(bbr_t *b)
{
    reset_congestion_signals(b);
    b->probe_up_acked_per_inc = INF;
    pick_probe_wait(b);
    b->cycle_stamp = b->now;
    b->ack_phase = ACKS_PROBE_STOPPING;
    start_round(b);
    b->state = PROBE_BW_DOWN;
    b->pacing_gain = PROBE_DOWN_PACING_GAIN;
    b->cwnd_gain = DEFAULT_CWND_GAIN;
}

static void start_probe_bw_cruise(bbr_t *b)
{
    b->state = PROBE_BW_CRUISE;
    b->pacing_gain = 1.0;
    b->cwnd_gain = DEFAULT_CWND_GAIN;
}

static void start_probe_bw_refill(bbr_t *b)
{
    reset_short_term_model(b);
    b->bw_probe_up_rounds = 0;
    b->bw_probe_up_acked = 0;
    b->prev_probe_precautionary = 0;
    b->ack_phase = ACKS_REFILLING;
    start_round(b);
    b->state = PROBE_BW_REFILL;
    b->pacing_gain = 1.0;
    b->cwnd_gain = DEFAULT_CWND_GAIN;
}

static void raise_inflight_longterm_slope(bbr_t *b)
{
    double growth = (double)(1LL << b->bw_probe_up_rounds);
    b->bw_probe_up_rounds = b->bw_probe_up_rounds + 1 < 30 ? b->bw_probe_up_rounds + 1 : 30;
    b->probe_up_acked_per_inc = dmax((double)b->cwnd / growth, (double)b->mds);
}

static void start_probe_bw_up(bbr_t *b)
{
    b->ack_phase = ACKS_PROBE_STARTING;
    start_round(b);
    reset_full_bw(b);
    b->full_bw = b->rs.delivery_rate;
    b->state = PROBE_BW_UP;
    b->pacing_gain = PROBE_UP_PACING_GAIN;
    b->cwnd_gain = PROBE_UP_CWND_GAIN;
    raise_inflight_longterm_slope(b);
}

static void enter_probe_bw(bbr_t *b)
{
    b->cwnd_gain = DEFAULT_CWND_GAIN;
    start_probe_bw_down(b);
}

static void check_drain_done(bbr_t *b)
{
    if (b->state == DRAIN && ((double)b->inflight <= inflight_for(b, 1.0) || b->round_count > b->drain_start_round + 3))
        enter_probe_bw(b);
}

static double target_inflight(bbr_t *b) { return dmin(bdp(b), (double)b->cwnd); }

static int is_reno_coexistence_probe_time(bbr_t *b)
{
    double reno_rounds = target_inflight(b) / (double)b->mds;
    return (double)b->rounds_since_probe_up >= dmin(reno_rounds, 63.0);
}

static int is_time_to_probe_bw(bbr_t *b)
{
    if (b->now > b->cycle_stamp + b->bw_probe_wait || is_reno_coexistence_probe_time(b)) {
        start_probe_bw_refill(b);
        return 1;
    }
    return 0;
}

static int is_time_to_cruise(bbr_t *b)
{
    if ((double)b->inflight > inflight_with_headroom(b)) return 0;
    return (double)b->inflight <= inflight_for(b, 1.0);
}

static int is_time_to_go_down(bbr_t *b)
{
    if (b->prev_probe_too_high && (double)b->inflight >= b->inflight_longterm) {
        b->prev_probe_precautionary = 1;   /* precautionary probing: decelerate */
        return 1;
    }
    if (b->is_cwnd_limited && (double)b->cwnd >= b->inflight_longterm) {
        reset_full_bw(b);                  /* bw limited by inflight_longterm: keep probing */
        b->full_bw = b->rs.delivery_rate;
    } else if (b->full_bw_now) {
        return 1;
    }
    return 0;
}

static void probe_inflight_longterm_upward(bbr_t *b)
{
    if (!b->is_cwnd_limited || (double)b->cwnd < b->inflight_longterm) return;
    b->bw_probe_up_acked += (double)b->rs.newly_acked;
    if (b->bw_probe_up_acked >= b->probe_up_acked_per_inc) {
        double delta = (double)to_i64(b->bw_probe_up_acked / b->probe_up_acked_per_inc);
        b->bw_probe_up_acked -= delta * b->probe_up_acked_per_inc;
        b->inflight_longterm += delta * (double)b->mds;
    }
    if (b->round_start) raise_inflight_longterm_slope(b);
}

/* IsInflightTooHigh (§5.5.10.2), with the native controller's deviation (src/Pliant.Quic/Recovery/Bbr.Model.cs):
 * the loss must exceed LossThresh of tx_in_flight by three binomial standard deviations of its packet count, so that
 * random loss near the draft's 2 % per-round objective (§3.2) does not cut the in-flight bounds by chance. */
static double loss_limit(const bbr_t *b, double tx_in_flight)
{
    double mds = (double)b->mds, n = dmax(tx_in_flight, 0) / mds;
    return tx_in_flight * LOSS_THRESH + LOSS_SIGMAS * mds * __builtin_sqrt(LOSS_THRESH * (1 - LOSS_THRESH) * n);
}

static int is_inflight_too_high(const bbr_t *b, double lost, double tx_in_flight) { return lost > loss_limit(b, tx_in_flight); }

static void advance_max_bw_filter(bbr_t *b)
{
    b->cycle_count++;
    b->max_bw_by_cycle[b->cycle_count & 1] = 0;   /* the cycle before last leaves the window */
    b->max_bw = dmax(b->max_bw_by_cycle[0], b->max_bw_by_cycle[1]);
}

static int adapt_long_term_model(bbr_t *b)
{
    if (b->ack_phase == ACKS_PROBE_STARTING && b->round_start) b->ack_phase = ACKS_PROBE_FEEDBACK;
    if (b->ack_phase == ACKS_PROBE_STOPPING && b->round_start) {
        b->is_bw_probe_sample = 0;
        b->ack_phase = ACKS_INIT;
        if (is_in_probe_bw(b) && !b->rs.is_app_limited) advance_max_bw_filter(b);
        if (is_in_probe_bw(b) && b->prev_probe_precautionary && !b->prev_probe_too_high) {
            start_probe_bw_refill(b);      /* precautionary probing: accelerate */
            return 1;
        }
    }
    if (!is_inflight_too_high(b, (double)b->rs.lost, (double)b->rs.tx_in_flight)) {
        if (b->inflight_longterm >= INF) return 0;
        if ((double)b->rs.tx_in_flight > b->inflight_longterm) b->inflight_longterm = (double)b->rs.tx_in_flight;
        if (b->state == PROBE_BW_UP) probe_inflight_longterm_upward(b);
    }
    return 0;
}

static void update_probe_bw_cycle_phase(bbr_t *b)
{
    if (!b->full_bw_reached) return;
    if (adapt_long_term_model(b)) return;
    switch (b->state) {
    case PROBE_BW_DOWN:
        if (is_time_to_probe_bw(b)) return;
        if (is_time_to_cruise(b)) start_probe_bw_cruise(b);
        break;
    case PROBE_BW_CRUISE:
        is_time_to_probe_bw(b);
        break;
    case PROBE_BW_REFILL:
        if (b->round_start) {              /* one round of REFILL, then UP */
            b->is_bw_probe_sample = 1;
            start_probe_bw_up(b);
        }
        break;
    case PROBE_BW_UP:
        if (is_time_to_go_down(b)) {
            b->prev_probe_too_high = 0;
            start_probe_bw_down(b);
        }
        break;
    default:
        break;
    }
}

/* ---- §5.5.10.2 loss while probing ---- */

static void handle_inflight_too_high(bbr_t *b, int app_limited, double tx_in_flight)
{
    b->prev_probe_too_high = 1;
    b->is_bw_probe_sample = 0;             /* react once per probe */
    if (!app_limited) b->inflight_longterm = dmax(tx_in_flight, target_inflight(b) * BETA);
    if (b->state == PROBE_BW_UP) start_probe_bw_down(b);
}

static void note_loss(bbr_t *b)
{
    if (!b->is_loss_in_round) {
        b->loss_round_delivered = b->delivered;
        save_cwnd(b);                      /* SaveStateUponLoss (no undo state: no spurious-loss signal) */
    }
    b->is_loss_in_round = 1;
}

/* ---- §5.5.1 rounds, §5.5.2-5.5.5 max_bw, §5.5.9 extra_acked ---- */

static void update_round(bbr_t *b)
{
    if (b->rs.prior_delivered >= b->next_round_delivered) {
        start_round(b);
        b->round_count++;
        b->rounds_since_probe_up++;
        b->round_start = 1;
        b->is_cwnd_limited = b->cwnd_limited_in_round;
        b->cwnd_limited_in_round = 0;
    } else {
        b->round_start = 0;
    }
}

static void update_max_bw(bbr_t *b)
{
    update_round(b);
    double rate = b->rs.delivery_rate;
    if (rate > 0 && (rate >= b->max_bw || !b->rs.is_app_limited)) {
        double *slot = &b->max_bw_by_cycle[b->cycle_count & 1];
        if (rate > *slot) *slot = rate;
        b->max_bw = dmax(b->max_bw_by_cycle[0], b->max_bw_by_cycle[1]);
    }
}

static void update_latest_delivery_signals(bbr_t *b)
{
    b->loss_round_start = 0;
    b->bw_latest = dmax(b->bw_latest, b->rs.delivery_rate);
    b->inflight_latest = dmax(b->inflight_latest, (double)b->rs.delivered);
    if (b->rs.prior_delivered >= b->loss_round_delivered) {
        b->loss_round_delivered = b->delivered;
        b->loss_round_start = 1;
        b->round_lost = b->lost_in_round;          /* the round's loss figures, for the Startup exit */
        b->round_delivered = b->delivered - b->loss_round_start_delivered;
        b->loss_round_start_delivered = b->delivered;
        b->round_loss_ranges = b->loss_ranges_in_round;
        b->round_inflight_latest = b->inflight_latest;
        b->lost_in_round = 0;
        b->loss_ranges_in_round = 0;
    }
}

static void advance_latest_delivery_signals(bbr_t *b)
{
    if (!b->loss_round_start) return;
    b->bw_latest = b->rs.delivery_rate;
    b->inflight_latest = (double)b->rs.delivered;
}

static void adapt_lower_bounds_from_congestion(bbr_t *b)
{
    if (is_probing_bw(b) || !b->is_loss_in_round) return;
    /* The native deviation: only a round whose loss is significantly above LossThresh (or a CE mark) cuts. */
    if (!b->ce_in_round && !is_inflight_too_high(b, (double)b->round_lost, (double)(b->round_delivered + b->round_lost))) return;
    if (b->bw_shortterm >= INF) b->bw_shortterm = b->max_bw;             /* InitLowerBounds */
    if (b->inflight_shortterm >= INF) b->inflight_shortterm = (double)b->cwnd;
    b->bw_shortterm = dmax(b->bw_latest, BETA * b->bw_shortterm);        /* LossLowerBounds */
    b->inflight_shortterm = dmax(b->inflight_latest, BETA * b->inflight_shortterm);
}

static void update_congestion_signals(bbr_t *b)
{
    update_max_bw(b);
    if (!b->loss_round_start) return;
    adapt_lower_bounds_from_congestion(b);
    b->is_loss_in_round = 0;
    b->ce_in_round = 0;
}

static void update_ack_aggregation(bbr_t *b)
{
    double interval = (double)(b->now - b->extra_acked_interval_start) / 1e6;
    double expected = b->bw * interval;
    if (b->extra_acked_delivered <= expected) {
        b->extra_acked_delivered = 0;
        b->extra_acked_interval_start = b->now;
        expected = 0;
    }
    b->extra_acked_delivered += (double)b->rs.newly_acked;
    double extra = dmin(b->extra_acked_delivered - expected, (double)b->cwnd);
    int len = b->full_bw_reached ? EXTRA_ACKED_FILTER_LEN : 1;
    int slot = (int)(b->round_count % EXTRA_ACKED_FILTER_LEN);
    if (b->round_start) b->extra_acked_by_round[slot] = 0;
    if (extra > b->extra_acked_by_round[slot]) b->extra_acked_by_round[slot] = extra;
    double m = 0;
    for (int i = 0; i < len; i++)
        m = dmax(m, b->extra_acked_by_round[(b->round_count - i + 2 * EXTRA_ACKED_FILTER_LEN) % EXTRA_ACKED_FILTER_LEN]);
    b->extra_acked = m;
}

/* ---- §5.3.4 min_rtt and ProbeRTT ---- */

static void update_min_rtt(bbr_t *b)
{
    b->probe_rtt_expired = b->now > b->probe_rtt_min_stamp + PROBE_RTT_INTERVAL_US;
    if (b->rs.rtt >= 0 && (b->rs.rtt < b->probe_rtt_min_delay || b->probe_rtt_expired)) {
        b->probe_rtt_min_delay = b->rs.rtt;
        b->probe_rtt_min_stamp = b->now;
    }
    int min_rtt_expired = b->now > b->min_rtt_stamp + MIN_RTT_FILTER_LEN_US;
    if (b->probe_rtt_min_delay < b->min_rtt || min_rtt_expired) {
        b->min_rtt = b->probe_rtt_min_delay;
        b->min_rtt_stamp = b->probe_rtt_min_stamp;
    }
}

static void mark_app_limited(bbr_t *b)
{
    /* MarkConnectionAppLimited, kept here: packets sent until what is in flight now is delivered are app-limited. */
    if (!b->app_limited) b->app_limited_from = b->delivered;
    b->app_limited = 1;
    b->app_limited_until = imax(b->delivered + b->inflight, 1);
}

static void exit_probe_rtt(bbr_t *b)
{
    reset_short_term_model(b);
    if (b->full_bw_reached) {
        start_probe_bw_down(b);
        start_probe_bw_cruise(b);
    } else {
        enter_startup(b);
    }
}

static void check_probe_rtt_done(bbr_t *b)
{
    if (b->probe_rtt_done_stamp == 0 || b->now <= b->probe_rtt_done_stamp) return;
    b->probe_rtt_min_stamp = b->now;       /* schedule the next ProbeRTT */
    restore_cwnd(b);
    exit_probe_rtt(b);
}

static void handle_probe_rtt(bbr_t *b)
{
    mark_app_limited(b);                   /* ignore low rate samples during ProbeRTT */
    if (b->probe_rtt_done_stamp == 0 && (double)b->inflight <= probe_rtt_cwnd(b)) {
        b->probe_rtt_done_stamp = b->now + PROBE_RTT_DURATION_US;
        b->probe_rtt_round_done = 0;
        start_round(b);
    } else if (b->probe_rtt_done_stamp != 0) {
        if (b->round_start) b->probe_rtt_round_done = 1;
        if (b->probe_rtt_round_done) check_probe_rtt_done(b);
    }
}

static void check_probe_rtt(bbr_t *b)
{
    if (b->state != PROBE_RTT && b->probe_rtt_expired && !b->idle_restart) {
        b->state = PROBE_RTT;              /* EnterProbeRTT */
        b->pacing_gain = 1.0;
        b->cwnd_gain = PROBE_RTT_CWND_GAIN;
        b->probe_rtts++;
        save_cwnd(b);
        b->probe_rtt_done_stamp = 0;
        b->ack_phase = ACKS_PROBE_STOPPING;
        start_round(b);
    }
    if (b->state == PROBE_RTT) handle_probe_rtt(b);
    if (b->rs.delivered > 0) b->idle_restart = 0;
}

/* ---- setup and the ABI entry points ---- */

static void init_path(bbr_t *b, int64_t path)
{
    int64_t mds = field(path, PL_MAX_DATAGRAM_SIZE);
    if (mds < 1200) mds = 1200;
    b->mds = mds;
    /* RFC 9002 §7.2: min(10 datagrams, max(14720, 2 datagrams)) */
    int64_t iw = 10 * mds, lo = 14720 > 2 * mds ? 14720 : 2 * mds;
    b->initial_cwnd = iw < lo ? iw : lo;
    b->cwnd = b->initial_cwnd;
    b->random = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(path + 1);
    /* OnInit (§5.2.1) */
    b->min_rtt = NO_RTT;
    b->probe_rtt_min_delay = NO_RTT;
    b->now = pl_now();
    b->min_rtt_stamp = b->probe_rtt_min_stamp = b->extra_acked_interval_start = b->cycle_stamp = b->now;
    b->inflight_longterm = INF;
    b->probe_up_acked_per_inc = INF;
    b->last_lost_pn = -2;
    reset_congestion_signals(b);
    reset_short_term_model(b);
    reset_full_bw(b);
    /* InitPacingRate: no RTT yet, so 1 ms */
    b->pacing_rate = STARTUP_PACING_GAIN * (double)b->initial_cwnd * 1e6 / 1000.0;
    enter_startup(b);
    b->ready = 1;
}

/* The calling operation's path and its model; NULL for a path id beyond MAX_PATHS (native answers). */
static bbr_t *path_state(int64_t *path_out)
{
    int64_t path = pl_arg(PL_PATH);
    if (path < 0 || path >= MAX_PATHS) return 0;
    bbr_t *b = &paths[path];
    if (!b->ready) init_path(b, path);
    *path_out = path;
    return b;
}

PLIANT_EXPORT(init) void init(void)
{
    int64_t path = 0;
    init_path(&paths[0], path);
}

PLIANT_EXPORT(on_ack) void on_ack(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) return;
    b->acks++;
    b->now = pl_arg(PL_A1);
    int64_t largest_sent = pl_arg(PL_A3);
    b->delivered = field(path, PL_DELIVERED);
    b->inflight = field(path, PL_BYTES_IN_FLIGHT);
    sample_t *rs = &b->rs;
    rs->newly_acked = pl_arg(PL_A0);
    rs->delivery_rate = (double)field(path, PL_RS_DELIVERY_RATE);
    rs->delivered = field(path, PL_RS_DELIVERED);
    rs->prior_delivered = field(path, PL_RS_PRIOR_DELIVERED);
    rs->tx_in_flight = field(path, PL_RS_TX_IN_FLIGHT);
    rs->lost = field(path, PL_RS_LOST);
    rs->rtt = field(path, PL_RS_RTT);
    /* A packet sent while the plugin's application-limited phase lasted had C.delivered within its range. */
    rs->is_app_limited = field(path, PL_RS_IS_APP_LIMITED) != 0
        || (b->app_limited_until != 0 && rs->prior_delivered >= b->app_limited_from && rs->prior_delivered <= b->app_limited_until);
    if (b->app_limited && b->delivered > b->app_limited_until) b->app_limited = 0;
    if (!b->has_seen_rtt) {
        int64_t srtt = field(path, PL_SMOOTHED_RTT);
        if (srtt > 0) {
            /* InitPacingRate once there is an RTT */
            b->has_seen_rtt = 1;
            if (!b->full_bw_reached && b->bw == 0) b->pacing_rate = STARTUP_PACING_GAIN * (double)b->initial_cwnd * 1e6 / (double)srtt;
        }
    }
    /* Recovery ends once a packet sent after it began is acknowledged (RFC 9002 §7.3.2). */
    if (b->in_recovery && largest_sent > b->recovery_start) {
        b->in_recovery = 0;
        restore_cwnd(b);
    }
    /* UpdateModelAndState (§5.2.3) */
    update_latest_delivery_signals(b);
    update_congestion_signals(b);
    update_ack_aggregation(b);
    check_full_bw_reached(b);
    check_startup_done(b);
    check_drain_done(b);
    update_probe_bw_cycle_phase(b);
    update_min_rtt(b);
    check_probe_rtt(b);
    advance_latest_delivery_signals(b);
    b->bw = dmin(b->max_bw, b->bw_shortterm);      /* BoundBWForModel */
    /* UpdateControlParameters */
    set_pacing_rate_with_gain(b, b->pacing_gain);
    set_cwnd(b);
    /* Nothing left in flight by an application-limited sender: the next send restarts from idle (§5.4). */
    b->maybe_idle = b->inflight == 0 && rs->is_app_limited;
}

PLIANT_EXPORT(on_congestion) void on_congestion(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) return;
    b->congestion_events++;
    b->now = pl_arg(PL_A1);
    b->delivered = field(path, PL_DELIVERED);
    b->inflight = field(path, PL_BYTES_IN_FLIGHT);
    /* HandleLostPacket for the batch's newest packet (§5.5.10.2) */
    note_loss(b);
    if (b->is_bw_probe_sample) {
        double tx = (double)field(path, PL_LOST_TX_IN_FLIGHT), lost = (double)field(path, PL_LOST_SINCE_SENT);
        if (is_inflight_too_high(b, lost, tx)) {
            /* The draft runs this per lost packet, C.lost growing by each: the first one that crosses LossThresh
             * decides. With one snapshot per batch, the batch's packets are taken as datagrams sent alike (the
             * newest's tx_in_flight and P.lost), lost in turn after what was lost before the batch. */
            double size = (double)b->mds, before = dmax(lost - (double)pl_arg(PL_A0), 0);
            double need = loss_limit(b, tx) - before;
            double k = need < size ? 1 : (double)to_i64(need / size) + 1;
            double lost_k = dmin(before + k * size, lost);
            /* InflightAtLoss: where the loss rate crossed LossThresh */
            double inflight_prev = tx - size, lost_prev = lost_k - size;
            double lost_prefix = (LOSS_THRESH * inflight_prev - lost_prev) / (1 - LOSS_THRESH);
            handle_inflight_too_high(b, field(path, PL_LOST_IS_APP_LIMITED) != 0, inflight_prev + lost_prefix);
        }
    }
    if (!b->in_recovery) {
        /* OnEnterFastRecovery (§5.6.4.4) */
        save_cwnd(b);
        b->in_recovery = 1;
        b->recovery_start = b->now;
        b->recovery_round = b->round_count;
    }
    if (pl_arg(PL_A2)) {
        /* OnEnterRTO: persistent congestion (RFC 9002 §7.6) is QUIC's retransmission timeout */
        save_cwnd(b);
        b->cwnd = imax(b->inflight + b->mds, 2 * b->mds);
    }
}

PLIANT_EXPORT(on_lost) void on_lost(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) return;
    int64_t pn = pl_arg(PL_A0);
    b->lost_in_round += pl_arg(PL_A1);
    if (pn != b->last_lost_pn + 1) b->loss_ranges_in_round++;   /* discontiguous lost ranges, §5.3.1.3 */
    b->last_lost_pn = pn;
}

/* §2.12: ECN-CE marks count as congestion; the round's short-term bounds adapt as for loss. */
PLIANT_EXPORT(on_ecn) void on_ecn(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) return;
    b->now = pl_arg(PL_A1);
    b->delivered = field(path, PL_DELIVERED);
    b->ce_in_round = 1;
    note_loss(b);
}

PLIANT_EXPORT(window) void window(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) { pl_set_result(pl_arg(PL_RESULT)); return; }
    /* PMTU discovery may have grown the datagram size: the floor (and the ABI's bound, 2 datagrams) follow it. */
    int64_t mds = field(path, PL_MAX_DATAGRAM_SIZE);
    if (mds > b->mds) b->mds = mds;
    int64_t w = b->cwnd, lo = to_i64(min_pipe_cwnd(b));
    pl_set_result(w < lo ? lo : w);
}

/* Asked after each packet sent: the pacing rate, and C.is_cwnd_limited and the restart from idle on the way. */
PLIANT_EXPORT(pacing_rate) void pacing_rate(void)
{
    int64_t path;
    bbr_t *b = path_state(&path);
    if (!b) { pl_set_result(0); return; }
    int64_t inflight = field(path, PL_BYTES_IN_FLIGHT);
    if (inflight + b->mds > b->cwnd) b->cwnd_limited_in_round = 1;
    if (b->maybe_idle) {
        /* HandleRestartFromIdle (§5.4) */
        b->maybe_idle = 0;
        b->now = pl_now();
        b->idle_restart = 1;
        b->extra_acked_interval_start = b->now;
        if (is_in_probe_bw(b)) set_pacing_rate_with_gain(b, 1.0);
        else if (b->state == PROBE_RTT) check_probe_rtt_done(b);
    }
    int64_t rate = to_i64(b->pacing_rate);
    pl_set_result(rate < b->mds ? b->mds : rate);   /* the ABI bound: at least one datagram per second */
}

/* For tests and tools, which = 100 × path + item: 0 cwnd, 1 pacing rate, 2 state, 3 max_bw, 4 min_rtt, 5 ACKs,
 * 6 congestion events, 7 full_bw_reached, 8 ProbeRTTs, 9 inflight_longterm (-1: infinite), 10 round count,
 * 11 Startup exit on loss, 12 bw; -1 for a path without a model. */
PLIANT_EXPORT(stats) int64_t stats(int32_t which)
{
    if (which < 0 || which / 100 >= MAX_PATHS || !paths[which / 100].ready) return -1;
    bbr_t *b = &paths[which / 100];
    switch (which % 100) {
    case 0: return b->cwnd;
    case 1: return to_i64(b->pacing_rate);
    case 2: return b->state;
    case 3: return to_i64(b->max_bw);
    case 4: return b->min_rtt == NO_RTT ? -1 : b->min_rtt;
    case 5: return b->acks;
    case 6: return b->congestion_events;
    case 7: return b->full_bw_reached;
    case 8: return b->probe_rtts;
    case 9: return b->inflight_longterm >= INF ? -1 : to_i64(b->inflight_longterm);
    case 10: return b->round_count;
    case 11: return b->startup_exit_loss;
    case 12: return to_i64(b->bw);
    default: return 0;
    }
}
