/*
 * tacet-speaker-demo: a smart speaker's firmware on Tacet's public C API (tacet.h only), one step
 * of the story in docs/demo.md per invocation, on one persistent device folder.
 *
 *   tacet-speaker-demo --data-dir DIR --step STEP [--journal FILE] [--out-dir DIR]
 *                      [--relay-url URL --relay-spki HEX --key-config FILE]
 *
 * STEP is one of consent-unknown, granted, approximate-location, revoke, network-down,
 * network-back, export, erase. With --relay-url the device syncs through that OHTTP relay (the
 * relay's TLS key pinned by --relay-spki, 64 hex digits; the gateway's key configuration, RFC 9458
 * section 3.1, read from --key-config); without it the device runs offline and a step that would
 * sync says so and does not. --journal appends one JSON object per line for what the device
 * recorded, refused and purged, so that scripts/demo.sh can compare it with what the gateway
 * stored. --out-dir is where the export and the privacy report go (default: DIR/..).
 *
 * What is simulated (docs/demo.md): the microphone is a generated signal (quiet noise, a loud
 * tone as the "wake word", a softer modulated tone as the "utterance"); the wake word detector
 * is an energy detector; the intent recogniser is a stand-in that maps the step's scripted
 * utterance to an intent. The audio never carries words.
 *
 * Every step checks what it shows; a check that does not hold prints "CHECK FAILED: ..." and the
 * program exits 1. Exit 2: bad command line or an unexpected API error.
 */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tacet/tacet.h>

#define SAMPLES_PER_FRAME 320 /* the default format: 16 kHz mono, 20 ms */
#define FRAME_MS 20
/* The wake word: frames whose mean square is at least (0.1 of full scale)^2 (-20 dBFS) ... */
#define WAKE_MEAN_SQUARE_MIN 10737418.0
/* ... for at least this long without a quiet frame. */
#define WAKE_MIN_LOUD_MS 200
/* What is captured after a wake word. */
#define UTTERANCE_FRAMES 50 /* 1 s */

static const char *g_journal_path = NULL;
static int g_failed = 0;

/* ------------------------------------------------------------------------------------------ */
/* Output and checks                                                                          */
/* ------------------------------------------------------------------------------------------ */

static void say(const char *format, ...) {
  va_list args;
  va_start(args, format);
  printf("  device: ");
  vprintf(format, args);
  printf("\n");
  va_end(args);
  fflush(stdout);
}

static int check(int ok, const char *what) {
  if (!ok) {
    printf("  device: CHECK FAILED: %s\n", what);
    fflush(stdout);
    g_failed = 1;
  }
  return ok;
}

/* An API call that must succeed: prints the step and the library's reason when it does not. */
static int api(tacet_status status, const char *what) {
  if (status == TACET_OK) return 1;
  fprintf(stderr, "tacet-speaker-demo: %s failed: %s (%s)\n", what, tacet_status_name(status),
          tacet_last_error_message());
  g_failed = 2;
  return 0;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      fputc('\\', f);
      fputc(c, f);
    } else if (c < 0x20) {
      fprintf(f, "\\u%04x", c);
    } else {
      fputc(c, f);
    }
  }
  fputc('"', f);
}

/* One journal line: {"step":..., "kind":..., then the key/value pairs (NULL-terminated)}. */
static void journal(const char *step, const char *kind, ...) {
  FILE *f;
  va_list args;
  const char *key;
  if (g_journal_path == NULL) return;
  f = fopen(g_journal_path, "a");
  if (f == NULL) {
    fprintf(stderr, "tacet-speaker-demo: cannot append to the journal %s\n", g_journal_path);
    g_failed = 2;
    return;
  }
  fputs("{\"step\":", f);
  json_string(f, step);
  fputs(",\"kind\":", f);
  json_string(f, kind);
  va_start(args, kind);
  while ((key = va_arg(args, const char *)) != NULL) {
    const char *value = va_arg(args, const char *);
    fputc(',', f);
    json_string(f, key);
    fputc(':', f);
    json_string(f, value);
  }
  va_end(args);
  fputs("}\n", f);
  fclose(f);
}

static int64_t now_unix_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------------------------ */
/* The microphone (simulated) and the wake word detector                                      */
/* ------------------------------------------------------------------------------------------ */

typedef enum { SOUND_QUIET, SOUND_WAKE_WORD, SOUND_SPEECH } sound;

/* One frame of the simulated microphone: integer waveforms, no floating point library. */
static void make_frame(sound kind, int64_t frame_index, int16_t *out) {
  static uint32_t noise = 12345u;
  int i;
  for (i = 0; i < SAMPLES_PER_FRAME; i++) {
    int64_t n = frame_index * SAMPLES_PER_FRAME + i;
    int32_t v;
    noise = noise * 1103515245u + 12345u;
    v = (int32_t)((noise >> 16) % 61u) - 30; /* about -60 dBFS of noise */
    if (kind == SOUND_WAKE_WORD) {
      /* A triangle wave of period 36 samples (~444 Hz), peak 16000: about -9 dBFS. */
      int32_t phase = (int32_t)(n % 36);
      v += (phase < 18 ? phase : 36 - phase) * 1777 - 16000;
    } else if (kind == SOUND_SPEECH) {
      /* A softer triangle (~222 Hz) whose loudness rises and falls like syllables: below the
       * wake word threshold, so speech does not re-trigger the detector. */
      int32_t phase = (int32_t)(n % 72);
      int32_t envelope = 1000 + (int32_t)((n / 800) % 4) * 500;
      v += ((phase < 36 ? phase : 72 - phase) - 18) * envelope / 18;
    }
    out[i] = (int16_t)v;
  }
}

typedef enum { LISTENING, CAPTURING, CAPTURED } listen_state;

/* The app's side of a voice session: the wake word detector and the utterance capture run on the
 * frames the gate delivered, and only on those. Touched on the thread pushing frames (main). */
typedef struct {
  listen_state state;
  int64_t loud_ms;
  int armed;
  int64_t frames_seen;      /* every frame the gate delivered to this session */
  int64_t wake_frame;       /* the frame that completed the wake word, or -1 */
  int64_t utterance_frames; /* frames captured after it */
  tacet_end_reason ended;
} listener;

static void listener_reset(listener *l) {
  memset(l, 0, sizeof *l);
  l->state = LISTENING;
  l->armed = 1;
  l->wake_frame = -1;
}

static void on_frame(const int16_t *samples, size_t count, int64_t t_ns, void *user_data) {
  listener *l = (listener *)user_data;
  double sum = 0;
  size_t i;
  (void)t_ns;
  l->frames_seen++;
  if (l->state == CAPTURING) {
    /* A product would hand these to its on-device recogniser; the demo only counts them. */
    if (++l->utterance_frames >= UTTERANCE_FRAMES) l->state = CAPTURED;
    return;
  }
  if (l->state != LISTENING || count == 0) return;
  for (i = 0; i < count; i++) sum += (double)samples[i] * (double)samples[i];
  if (sum / (double)count >= WAKE_MEAN_SQUARE_MIN) {
    l->loud_ms += FRAME_MS;
    if (l->armed && l->loud_ms >= WAKE_MIN_LOUD_MS) {
      l->armed = 0; /* one sound, one detection */
      l->wake_frame = l->frames_seen - 1;
      l->state = CAPTURING;
      l->utterance_frames = 0;
    }
  } else {
    l->loud_ms = 0;
    l->armed = 1;
  }
}

static void on_voice_ended(tacet_end_reason reason, void *user_data) {
  ((listener *)user_data)->ended = reason;
}

/* The firmware's audio loop: pushes `n` frames of `kind` to the agent. Frames go to the gate,
 * which hands them to open sessions that are still allowed, and to nobody else. */
static int64_t g_frame_clock = 0;
static int push(tacet_agent_t *agent, sound kind, int n) {
  int16_t frame[SAMPLES_PER_FRAME];
  int i;
  for (i = 0; i < n; i++) {
    make_frame(kind, g_frame_clock, frame);
    if (!api(tacet_voice_push_frame(agent, frame, SAMPLES_PER_FRAME,
                                    g_frame_clock * FRAME_MS * 1000000LL),
             "pushing a microphone frame"))
      return 0;
    g_frame_clock++;
  }
  return 1;
}

/* The intent recogniser: a STAND-IN. The audio carries no words; the script says what the user
 * "said" and this maps it to the intent a real on-device recogniser would produce. */
static void recognise(const char *scripted_utterance, const char *utterance_id, char *out,
                      size_t out_size) {
  const char *play = "play ";
  if (strncmp(scripted_utterance, play, strlen(play)) == 0) {
    snprintf(out, out_size, "play_artist artist=\"%s\" utterance=%s",
             scripted_utterance + strlen(play), utterance_id);
  } else {
    snprintf(out, out_size, "unknown utterance=%s", utterance_id);
  }
}

/* Wake word, then one utterance; returns 1 when it was captured whole. */
static int hear_command(tacet_agent_t *agent, listener *l) {
  if (!push(agent, SOUND_QUIET, 10) || !push(agent, SOUND_WAKE_WORD, 15) ||
      !push(agent, SOUND_SPEECH, UTTERANCE_FRAMES) || !push(agent, SOUND_QUIET, 5))
    return 0;
  return l->state == CAPTURED;
}

static void open_voice_callbacks(tacet_voice_callbacks *callbacks, listener *l) {
  memset(callbacks, 0, sizeof *callbacks);
  callbacks->struct_size = sizeof *callbacks;
  callbacks->on_frame = on_frame;
  callbacks->on_ended = on_voice_ended;
  callbacks->user_data = l;
}

/* ------------------------------------------------------------------------------------------ */
/* Recording and syncing                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Records one event of one field; journals it with what the controller should receive
 * (`expect`, NULL: the value as recorded). Returns the status. */
static tacet_status record1(tacet_agent_t *agent, const char *step, const char *purpose,
                            const char *key, const char *value, const char *expect) {
  tacet_event_field field;
  int64_t id = 0;
  tacet_status status;
  field.key = key;
  field.value = value;
  field.value_len = strlen(value);
  status = tacet_record(agent, purpose, &field, 1, now_unix_ms(), 0, &id, NULL);
  if (status == TACET_OK) {
    say("recorded     %s  %s = \"%s\"  (event %lld, queued)", purpose, key, value, (long long)id);
    journal(step, "recorded", "purpose", purpose, "key", key, "value", value, "expect",
            expect != NULL ? expect : value, (const char *)NULL);
  } else {
    say("refused      %s  %s: %s (%s)", purpose, key, tacet_status_name(status),
        tacet_last_error_message());
    journal(step, "refused", "purpose", purpose, "key", key, "value", value, (const char *)NULL);
  }
  return status;
}

typedef struct {
  const char *relay_url;
  uint8_t spki[32];
  uint8_t key_config[4096];
  size_t key_config_len;
} sync_setup;

/* One upload round; *out gets the result. Returns 0 when the device is offline (no relay given)
 * or the call failed. */
static int sync_round(tacet_agent_t *agent, const sync_setup *setup, tacet_sync_result *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  if (setup->relay_url == NULL) {
    say("sync         skipped: no --relay-url, the device runs offline");
    return 0;
  }
  if (!api(tacet_sync_now(agent, out), "tacet_sync_now")) return 0;
  say("sync         %lld batch(es) sent, %lld acknowledged, %lld event(s) and %lld deletion(s) "
      "delivered, %lld rejected, %lld pending, %lld peer authentication failure(s)",
      (long long)out->batches_sent, (long long)out->batches_acknowledged,
      (long long)out->events_delivered, (long long)out->deletions_delivered,
      (long long)out->batches_rejected, (long long)out->batches_pending,
      (long long)out->peer_authentication_failures);
  if (out->next_attempt_unix_ms != 0) {
    say("sync         next attempt in %lld ms",
        (long long)(out->next_attempt_unix_ms - now_unix_ms()));
  }
  return 1;
}

static int counts(tacet_agent_t *agent, tacet_record_counts2 *c) {
  memset(c, 0, sizeof *c);
  c->struct_size = sizeof *c;
  return api(tacet_record_counts2_get(agent, c), "tacet_record_counts2_get");
}

static void say_counts(const tacet_record_counts2 *c) {
  say("outbox       %lld queued, %lld held; so far %lld refused, %lld purged by consent, "
      "%lld erased, %lld evicted, %lld expired, %lld quarantined",
      (long long)c->queued, (long long)c->held, (long long)c->refused,
      (long long)c->purged_by_consent, (long long)c->erased, (long long)c->evicted,
      (long long)c->expired, (long long)c->quarantined);
}

/* The refusals so far by reason; *out_named (optional) gets how many of them carry a reason. */
static int say_refusals(tacet_agent_t *agent, int64_t *out_named) {
  tacet_record_refusal_list *list = NULL;
  char line[512];
  size_t used = 0, i;
  int64_t named = 0;
  if (!api(tacet_record_refusals_get(agent, &list), "tacet_record_refusals_get")) return 0;
  line[0] = '\0';
  for (i = 0; i < list->count; ++i) {
    int n = snprintf(line + used, sizeof line - used, "%s%s %lld", i == 0 ? "" : ", ",
                     list->items[i].reason, (long long)list->items[i].count);
    if (n > 0 && (size_t)n < sizeof line - used) used += (size_t)n;
    named += list->items[i].count;
  }
  say("outbox       refusals by reason: %s", list->count == 0 ? "none" : line);
  tacet_free(list);
  if (out_named != NULL) *out_named = named;
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The story                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int step_consent_unknown(tacet_agent_t *agent) {
  tacet_voice_session_t *session = NULL;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_voice_callbacks callbacks;
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  tacet_record_counts2 before, after;
  int64_t named = 0;
  listener l;
  tacet_status status;

  listener_reset(&l);
  if (!api(tacet_consent_get(agent, TACET_SUBJECT_PURPOSE, "voice_features", &state),
           "reading voice_features"))
    return 0;
  say("consent      voice_features is %s: the user has not been asked", 
      tacet_consent_state_name(state));
  check(state == TACET_CONSENT_UNKNOWN, "voice_features is not unknown on a new device");

  /* The wake word listener is itself a capture for voice_features: without consent, no audio
   * reaches the app, not even to look for the wake word. */
  open_voice_callbacks(&callbacks, &l);
  status = tacet_voice_session_open(agent, "voice_features", &callbacks, &session, &denial);
  say("microphone   capture for voice_features: %s, reason %s",
      status == TACET_OK ? "GRANTED" : tacet_status_name(status), tacet_denial_reason_name(denial));
  check(status == TACET_ERR_PERMISSION_DENIED && session == NULL,
        "a capture was not refused while consent is unknown");
  check(denial == TACET_DENIAL_CONSENT_UNKNOWN || denial == TACET_DENIAL_VOICE_DATA_NOT_PROVIDED,
        "the refusal does not say that the user was not asked");
  if (session != NULL) tacet_voice_session_free(session);

  if (!push(agent, SOUND_WAKE_WORD, 15) || !push(agent, SOUND_SPEECH, UTTERANCE_FRAMES)) return 0;
  say("microphone   %d frames spoken (wake word and a command), %lld reached the app",
      15 + UTTERANCE_FRAMES, (long long)l.frames_seen);
  check(l.frames_seen == 0, "audio reached the app before consent");

  if (!counts(agent, &before)) return 0;
  status = record1(agent, "consent-unknown", "voice_features", "voice.voice_commands",
                   "play_artist artist=\"Nina Simone\" utterance=s1-1", NULL);
  if (!counts(agent, &after)) return 0;
  check(status == TACET_ERR_PERMISSION_DENIED, "an intent was stored without consent");
  check(after.refused == before.refused + 1 && after.queued == before.queued,
        "the refused intent was not counted as refused, or was queued");
  say_counts(&after);
  if (!say_refusals(agent, &named)) return 0;
  check(named == after.refused, "a refusal was not counted under its reason");
  return 1;
}

static int step_granted(tacet_agent_t *agent, const sync_setup *setup) {
  tacet_voice_session_t *session = NULL;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_voice_callbacks callbacks;
  tacet_sync_result result;
  char intent[256];
  listener l;

  if (!api(tacet_consent_set_category_provided(agent, "voice", 1, TACET_SOURCE_USER),
           "providing voice data") ||
      !api(tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_GRANTED,
                                     TACET_SOURCE_USER), "granting voice_features"))
    return 0;
  say("consent      the user provides voice data and grants voice_features");

  listener_reset(&l);
  open_voice_callbacks(&callbacks, &l);
  if (!api(tacet_voice_session_open(agent, "voice_features", &callbacks, &session, &denial),
           "opening the voice session"))
    return 0;
  say("microphone   capture for voice_features granted: listening for the wake word");
  if (!hear_command(agent, &l)) {
    check(0, "the wake word or the utterance was not heard");
    tacet_voice_session_free(session);
    return 0;
  }
  say("wake word    detected at frame %lld (%d ms of loud audio); utterance captured: %lld frames "
      "(%lld ms)", (long long)l.wake_frame, WAKE_MIN_LOUD_MS, (long long)l.utterance_frames,
      (long long)l.utterance_frames * FRAME_MS);
  tacet_voice_session_free(session);

  recognise("play Nina Simone", "s2-1", intent, sizeof intent);
  say("recogniser   (stand-in) scripted utterance \"play Nina Simone\" -> %s", intent);
  check(record1(agent, "granted", "voice_features", "voice.voice_commands", intent, NULL) ==
            TACET_OK, "the intent was not recorded with consent");
  check(record1(agent, "granted", "provide_service", "usage.listening_history",
                "Nina Simone - Feeling Good (s2-1)", NULL) == TACET_OK,
        "the play was not recorded");

  if (sync_round(agent, setup, &result)) {
    check(result.batches_acknowledged >= 1 && result.events_delivered >= 2,
          "the intent and the play were not delivered");
    check(result.batches_pending == 0 && result.batches_rejected == 0,
          "a batch is pending or was rejected");
  }
  return 1;
}

static tacet_location_fix g_delivered_fix;
static tacet_location_precision g_delivered_precision = TACET_PRECISION_NONE;
static int g_fixes = 0;

static void on_fix(const tacet_location_fix *fix, tacet_location_precision precision,
                   void *user_data) {
  (void)user_data;
  g_delivered_fix = *fix;
  g_delivered_precision = precision;
  g_fixes++;
}

static int step_approximate_location(tacet_agent_t *agent, const sync_setup *setup) {
  /* The speaker's GNSS fix (the Eiffel Tower's south pillar): precise to a few metres. */
  const tacet_location_fix gnss = {48.857531, 2.293842, 4.0, 0};
  char precise[64], approximate[64], coarse4[64];
  tacet_location_callbacks callbacks;
  tacet_location_session_t *session = NULL;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_location_fix fix = gnss;
  tacet_sync_result result;
  tacet_status status;

  snprintf(precise, sizeof precise, "%.6f,%.6f", gnss.latitude_deg, gnss.longitude_deg);
  if (!api(tacet_consent_set_category_provided(agent, "location", 1, TACET_SOURCE_USER),
           "providing location data") ||
      !api(tacet_consent_set_purpose(agent, "location_features", TACET_CONSENT_GRANTED,
                                     TACET_SOURCE_USER), "granting location_features") ||
      !api(tacet_consent_set_location_precision(agent, TACET_PRECISION_PRECISE, TACET_SOURCE_USER),
           "allowing precise location"))
    return 0;
  say("consent      at setup the user grants location_features with precise location");

  /* What the gate makes of the fix at approximate precision: learnt by asking it (below). The
   * precise position recorded now is journaled with that expectation once it is known. */
  fix.unix_ms = now_unix_ms();
  {
    tacet_event_field field;
    int64_t id = 0;
    field.key = "location.precise_location";
    field.value = precise;
    field.value_len = strlen(precise);
    if (!api(tacet_record(agent, "location_features", &field, 1, now_unix_ms(), 0, &id, NULL),
             "recording the precise position"))
      return 0;
    say("recorded     location_features  location.precise_location = \"%s\"  (event %lld, "
        "queued)", precise, (long long)id);
  }

  if (!api(tacet_consent_set_location_precision(agent, TACET_PRECISION_APPROXIMATE,
                                                TACET_SOURCE_USER), "choosing approximate location"))
    return 0;
  say("consent      the user changes location to APPROXIMATE only (before anything was sent)");

  memset(&callbacks, 0, sizeof callbacks);
  callbacks.struct_size = sizeof callbacks;
  callbacks.on_fix = on_fix;
  if (!api(tacet_location_session_open(agent, "location_features", TACET_PRECISION_PRECISE,
                                       &callbacks, &session, &denial),
           "opening a location session"))
    return 0;
  if (!api(tacet_location_push_fix(agent, &fix), "pushing the GNSS fix")) {
    tacet_location_session_free(session);
    return 0;
  }
  tacet_location_session_free(session);
  check(g_fixes == 1 && g_delivered_precision == TACET_PRECISION_APPROXIMATE,
        "the location gate did not deliver one approximate fix");
  if (g_fixes != 1) return 0;
  snprintf(coarse4, sizeof coarse4, "%.4f,%.4f", g_delivered_fix.latitude_deg,
           g_delivered_fix.longitude_deg);
  snprintf(approximate, sizeof approximate, "%.2f,%.2f", g_delivered_fix.latitude_deg,
           g_delivered_fix.longitude_deg);
  say("location     GNSS fix %s (4 m); the app asked for PRECISE and the gate gave it %s at %s "
      "(%.0f m)", precise, coarse4, tacet_location_precision_name(g_delivered_precision),
      g_delivered_fix.accuracy_m);
  journal("approximate-location", "recorded", "purpose", "location_features", "key",
          "location.precise_location", "value", precise, "expect", coarse4, (const char *)NULL);

  status = record1(agent, "approximate-location", "location_features",
                   "location.precise_location", precise, NULL);
  check(status == TACET_ERR_PERMISSION_DENIED,
        "a precise position was recorded while only approximate location is granted");
  check(record1(agent, "approximate-location", "location_features",
                "location.approximate_location", approximate, NULL) == TACET_OK,
        "the approximate position was not recorded");

  if (sync_round(agent, setup, &result)) {
    check(result.events_delivered >= 2 && result.batches_pending == 0,
          "the two location events were not delivered");
  }
  return 1;
}

static int step_revoke(tacet_agent_t *agent, const sync_setup *setup) {
  tacet_voice_session_t *session = NULL;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_voice_callbacks callbacks;
  tacet_record_counts2 before, after;
  tacet_sync_result result;
  tacet_end_reason reason = TACET_END_NONE;
  uint64_t delivered = 0;
  int64_t at_revocation;
  char intent[256];
  listener l;
  const int spoken_before = 12, spoken_after = UTTERANCE_FRAMES - 12;

  listener_reset(&l);
  open_voice_callbacks(&callbacks, &l);
  if (!api(tacet_voice_session_open(agent, "voice_features", &callbacks, &session, &denial),
           "opening the voice session"))
    return 0;
  if (!hear_command(agent, &l)) {
    check(0, "the first command was not heard");
    tacet_voice_session_free(session);
    return 0;
  }
  recognise("play Miles Davis", "s4-1", intent, sizeof intent);
  say("recogniser   (stand-in) scripted utterance \"play Miles Davis\" -> %s", intent);
  check(record1(agent, "revoke", "voice_features", "voice.voice_commands", intent, NULL) ==
            TACET_OK, "the first intent was not recorded");
  check(record1(agent, "revoke", "provide_service", "usage.listening_history",
                "Miles Davis - So What (s4-1)", NULL) == TACET_OK, "the play was not recorded");
  if (!counts(agent, &before)) {
    tacet_voice_session_free(session);
    return 0;
  }
  say_counts(&before);

  /* A second command: the wake word, then the user revokes in the companion app while speaking. */
  l.state = LISTENING;
  l.armed = 1;
  l.loud_ms = 0;
  l.utterance_frames = 0;
  if (!push(agent, SOUND_QUIET, 10) || !push(agent, SOUND_WAKE_WORD, 15) ||
      !push(agent, SOUND_SPEECH, spoken_before)) {
    tacet_voice_session_free(session);
    return 0;
  }
  check(l.state == CAPTURING, "the second wake word was not heard");
  at_revocation = l.frames_seen;
  if (!api(tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_DENIED,
                                     TACET_SOURCE_USER), "revoking voice_features")) {
    tacet_voice_session_free(session);
    return 0;
  }
  say("consent      the user revokes voice_features mid-utterance, after %d of %d frames",
      spoken_before, UTTERANCE_FRAMES);
  if (!push(agent, SOUND_SPEECH, spoken_after)) {
    tacet_voice_session_free(session);
    return 0;
  }
  api(tacet_voice_session_state(session, &reason, &delivered), "reading the session state");
  tacet_voice_session_free(session);
  say("microphone   session ended: %s; frames the app got: %lld in this session up to the "
      "revocation (the last %d of them speech), %lld after it (the user spoke %d more frames)",
      tacet_end_reason_name(reason), (long long)at_revocation, spoken_before,
      (long long)(l.frames_seen - at_revocation), spoken_after);
  check(reason == TACET_END_CONSENT_WITHDRAWN && l.ended == TACET_END_CONSENT_WITHDRAWN,
        "the session did not end with the revocation");
  check(l.frames_seen == at_revocation && (int64_t)delivered == at_revocation,
        "a frame reached the app after the revocation");

  if (!counts(agent, &after)) return 0;
  say_counts(&after);
  /* At least this step's intent; more when earlier ones are still queued (an offline run). */
  check(after.purged_by_consent >= before.purged_by_consent + 1 &&
            before.queued - after.queued == after.purged_by_consent - before.purged_by_consent,
        "the queued voice intents were not purged by the revocation, or more than they were");
  journal("revoke", "purged", "purpose", "voice_features", "key", "voice.voice_commands", "value",
          intent, (const char *)NULL);
  recognise("play Chet Baker", "s4-2", intent, sizeof intent);
  check(record1(agent, "revoke", "voice_features", "voice.voice_commands", intent, NULL) ==
            TACET_ERR_PERMISSION_DENIED, "an intent was recorded after the revocation");

  if (sync_round(agent, setup, &result)) {
    check(result.batches_pending == 0 && result.batches_rejected == 0,
          "a batch is pending or was rejected");
  }
  return 1;
}

static int step_network_down(tacet_agent_t *agent, const sync_setup *setup) {
  tacet_sync_result result;
  check(record1(agent, "network-down", "provide_service", "usage.listening_history",
                "Nina Simone - Sinnerman (s5-1)", NULL) == TACET_OK, "the play was not recorded");
  check(record1(agent, "network-down", "provide_service", "usage.listening_history",
                "Nina Simone - Wild Is the Wind (s5-2)", NULL) == TACET_OK,
        "the play was not recorded");
  if (sync_round(agent, setup, &result)) {
    check(result.batches_pending >= 1 && result.batches_acknowledged == 0 &&
              result.events_delivered == 0 && result.batches_rejected == 0,
          "with the relay down the batches are not reported pending");
  }
  return 1;
}

static int step_network_back(tacet_agent_t *agent, const sync_setup *setup) {
  tacet_sync_result result;
  if (sync_round(agent, setup, &result)) {
    check(result.batches_acknowledged >= 1 && result.events_delivered >= 2,
          "the pending batches were not delivered when the relay came back");
    check(result.batches_pending == 0 && result.batches_rejected == 0,
          "a batch is still pending or was rejected");
  }
  return 1;
}

static int step_export(tacet_agent_t *agent, const char *out_dir) {
  char export_path[4096], report_path[4096];
  tacet_export_summary exported;
  tacet_report_summary reported;
  if (snprintf(export_path, sizeof export_path, "%s/export.json", out_dir) >=
          (int)sizeof export_path ||
      snprintf(report_path, sizeof report_path, "%s/report.html", out_dir) >=
          (int)sizeof report_path) {
    fprintf(stderr, "tacet-speaker-demo: --out-dir is too long\n");
    return 0;
  }
  if (!api(tacet_export_to_file(agent, export_path, &exported), "exporting") ||
      !api(tacet_report_to_file(agent, report_path, &reported), "writing the privacy report"))
    return 0;
  say("export       %s (%lld records, %lld past versions)", export_path,
      (long long)exported.records, (long long)exported.history_entries);
  say("report       %s (%lld records in %lld categories)", report_path,
      (long long)reported.records, (long long)reported.categories_held);
  journal("export", "files", "export", export_path, "report", report_path, (const char *)NULL);
  return 1;
}

static int step_erase(tacet_agent_t *agent, const sync_setup *setup) {
  tacet_erasure_result erased;
  tacet_sync_result result;
  memset(&erased, 0, sizeof erased);
  if (!api(tacet_vault_erase(agent, "voice", &erased), "erasing the voice category")) return 0;
  say("erasure      the user erases their voice data: %lld record(s), %lld past version(s) on "
      "the device; a deletion request is queued for every recipient that was sent voice data",
      (long long)erased.records, (long long)erased.history_entries);
  journal("erase", "erased", "category", "voice", (const char *)NULL);
  if (sync_round(agent, setup, &result)) {
    check(result.deletions_delivered >= 1 && result.batches_pending == 0,
          "the deletion request was not delivered");
  }
  return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Command line and the agent                                                                 */
/* ------------------------------------------------------------------------------------------ */

static int usage(const char *why) {
  fprintf(stderr,
          "tacet-speaker-demo: %s\n"
          "usage: tacet-speaker-demo --data-dir DIR --step STEP [--journal FILE] [--out-dir DIR]\n"
          "                          [--relay-url URL --relay-spki HEX --key-config FILE]\n"
          "STEP: consent-unknown granted approximate-location revoke network-down network-back\n"
          "      export erase\n",
          why);
  return 2;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* 64 hex digits, optionally followed by a newline (as tls-spki.sha256 holds them). */
static int parse_spki(const char *hex, uint8_t out[32]) {
  size_t i, n = strlen(hex);
  if (n > 0 && hex[n - 1] == '\n') n--;
  if (n != 64) return 0;
  for (i = 0; i < 32; i++) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return 0;
    out[i] = (uint8_t)(hi * 16 + lo);
  }
  return 1;
}

static int read_key_config(const char *path, sync_setup *setup) {
  FILE *f = fopen(path, "rb");
  size_t n;
  if (f == NULL) return 0;
  n = fread(setup->key_config, 1, sizeof setup->key_config, f);
  if (ferror(f) || !feof(f) || n == 0) {
    fclose(f);
    return 0;
  }
  fclose(f);
  setup->key_config_len = n;
  return 1;
}

int main(int argc, char **argv) {
  const char *data_dir = NULL, *step = NULL, *spki_hex = NULL, *key_config_path = NULL;
  const char *out_dir = NULL;
  char default_out[4096], message[256];
  static const char *const steps[] = {"consent-unknown", "granted", "approximate-location",
                                      "revoke", "network-down", "network-back", "export", "erase"};
  static sync_setup setup;
  tacet_options_t *options = NULL;
  tacet_agent_t *agent = NULL;
  int i, ok = 0;

  for (i = 1; i < argc; i += 2) { /* every option takes one value */
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--data-dir") != 0 && strcmp(arg, "--step") != 0 &&
        strcmp(arg, "--journal") != 0 && strcmp(arg, "--out-dir") != 0 &&
        strcmp(arg, "--relay-url") != 0 && strcmp(arg, "--relay-spki") != 0 &&
        strcmp(arg, "--key-config") != 0) {
      snprintf(message, sizeof message, "unknown argument '%.200s'", arg);
      return usage(message);
    }
    if (value == NULL) {
      snprintf(message, sizeof message, "%s needs a value", arg);
      return usage(message);
    }
    if (strcmp(arg, "--data-dir") == 0) data_dir = value;
    if (strcmp(arg, "--step") == 0) step = value;
    if (strcmp(arg, "--journal") == 0) g_journal_path = value;
    if (strcmp(arg, "--out-dir") == 0) out_dir = value;
    if (strcmp(arg, "--relay-url") == 0) setup.relay_url = value;
    if (strcmp(arg, "--relay-spki") == 0) spki_hex = value;
    if (strcmp(arg, "--key-config") == 0) key_config_path = value;
  }
  if (data_dir == NULL) return usage("--data-dir is required");
  if (step == NULL) return usage("--step is required");
  for (i = 0; i < (int)(sizeof steps / sizeof steps[0]) && strcmp(step, steps[i]) != 0; i++) {
  }
  if (i == (int)(sizeof steps / sizeof steps[0])) {
    snprintf(message, sizeof message, "unknown step '%.200s'", step);
    return usage(message);
  }
  if (setup.relay_url != NULL) {
    if (spki_hex == NULL || key_config_path == NULL) {
      return usage("--relay-url needs --relay-spki and --key-config");
    }
    if (!parse_spki(spki_hex, setup.spki)) {
      return usage("--relay-spki is not 64 hex digits (the SHA-256 of the relay's public key)");
    }
    if (!read_key_config(key_config_path, &setup)) {
      fprintf(stderr, "tacet-speaker-demo: cannot read the key configuration %s (missing, empty "
                      "or larger than %u bytes)\n", key_config_path,
              (unsigned)sizeof setup.key_config);
      return 2;
    }
  } else if (spki_hex != NULL || key_config_path != NULL) {
    return usage("--relay-spki and --key-config need --relay-url");
  }
  if (out_dir == NULL) {
    snprintf(default_out, sizeof default_out, "%s/..", data_dir);
    out_dir = default_out;
  }

  if (!api(tacet_options_new(&options), "creating options") ||
      !api(tacet_options_set_data_dir(options, data_dir), "setting the data directory") ||
      !api(tacet_options_set_log_level(options, TACET_LOG_WARNING), "setting the log level"))
    goto done;
  if (setup.relay_url != NULL) {
    tacet_sync_config config;
    memset(&config, 0, sizeof config);
    config.struct_size = sizeof config;
    config.url = setup.relay_url;
    config.spki_sha256 = setup.spki;
    config.key_config = setup.key_config;
    config.key_config_len = setup.key_config_len;
    config.timeout_ms = 3000;
    if (!api(tacet_options_set_sync(options, &config), "configuring sync")) goto done;
  }
  if (!api(tacet_agent_open(options, &agent), "opening the device")) goto done;
  /* The firmware's own settings: the microphone and the GNSS work (the OS-level permission);
   * whether the user lets them be used is consent, asked above. */
  if (!api(tacet_agent_set_os_permission(agent, TACET_OS_PERMISSION_MICROPHONE,
                                         TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE),
           "setting the microphone permission") ||
      !api(tacet_agent_set_os_permission(agent, TACET_OS_PERMISSION_LOCATION,
                                         TACET_PERMISSION_GRANTED, TACET_PRECISION_PRECISE),
           "setting the location permission"))
    goto done;

  if (strcmp(step, "consent-unknown") == 0) {
    ok = step_consent_unknown(agent);
  } else if (strcmp(step, "granted") == 0) {
    ok = step_granted(agent, &setup);
  } else if (strcmp(step, "approximate-location") == 0) {
    ok = step_approximate_location(agent, &setup);
  } else if (strcmp(step, "revoke") == 0) {
    ok = step_revoke(agent, &setup);
  } else if (strcmp(step, "network-down") == 0) {
    ok = step_network_down(agent, &setup);
  } else if (strcmp(step, "network-back") == 0) {
    ok = step_network_back(agent, &setup);
  } else if (strcmp(step, "export") == 0) {
    ok = step_export(agent, out_dir);
  } else if (strcmp(step, "erase") == 0) {
    ok = step_erase(agent, &setup);
  } else {
    fprintf(stderr, "tacet-speaker-demo: unknown step '%s'\n", step);
    g_failed = 2;
  }
  if (agent != NULL && !api(tacet_agent_close(agent), "closing the device")) ok = 0;

done:
  tacet_agent_free(agent);
  tacet_options_free(options);
  if (g_failed == 1) return 1;
  if (g_failed != 0 || !ok) return 2;
  return 0;
}
