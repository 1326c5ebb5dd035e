/*
 * firmware-c: what speaker firmware written in C does with Tacet, through tacet.h only.
 *
 * Opens the agent with the posix defaults in a fresh device folder, shows what needs asking,
 * records the user's answers, pushes microphone frames through a granted voice session and sees
 * it end when the user revokes consent, stores and corrects a profile value, exports everything,
 * and prints what happened. Exits non-zero (naming the step) if anything behaves otherwise.
 *
 *   tacet_firmware_c [WORK_DIR]     (default: a new folder under $TMPDIR, removed at the end)
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tacet/tacet.h>

#define SAMPLES_PER_FRAME 320 /* the default format: 16 kHz mono, 20 ms */

/* What the voice session's callbacks saw. They run on the thread pushing frames (here, main). */
typedef struct {
  int frames;
  tacet_end_reason ended;
} voice_state;

static void on_frame(const int16_t *samples, size_t count, int64_t t_ns, void *user_data) {
  voice_state *v = (voice_state *)user_data;
  (void)samples;
  (void)t_ns;
  if (count == SAMPLES_PER_FRAME) v->frames++;
}

static void on_ended(tacet_end_reason reason, void *user_data) {
  ((voice_state *)user_data)->ended = reason;
}

static int check(tacet_status status, const char *step) {
  if (status == TACET_OK) return 0;
  fprintf(stderr, "firmware-c: %s failed: %s (%s)\n", step, tacet_status_name(status),
          tacet_last_error_message());
  return 1;
}

static int fail(const char *what) {
  fprintf(stderr, "firmware-c: %s\n", what);
  return 1;
}

static int push_frames(tacet_agent_t *agent, int n) {
  int16_t frame[SAMPLES_PER_FRAME];
  int i;
  for (i = 0; i < SAMPLES_PER_FRAME; i++) frame[i] = (int16_t)((i % 32) * 512 - 8192);
  for (i = 0; i < n; i++) {
    if (check(tacet_voice_push_frame(agent, frame, SAMPLES_PER_FRAME, (int64_t)i * 20000000),
              "pushing a frame"))
      return 1;
  }
  return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

static int run(const char *work) {
  char device[4096], export_path[4096];
  tacet_options_t *options = NULL;
  tacet_agent_t *agent = NULL;
  tacet_consent_list *purposes = NULL;
  tacet_voice_session_t *session = NULL;
  tacet_vault_version_list *history = NULL;
  tacet_export_summary exported;
  voice_state voice = {0, TACET_END_NONE};
  tacet_voice_callbacks callbacks;
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  int64_t record_id = 0;
  size_t i;
  int rc = 1;

  if (snprintf(device, sizeof device, "%s/device", work) >= (int)sizeof device ||
      snprintf(export_path, sizeof export_path, "%s/export.json", work) >= (int)sizeof export_path)
    return fail("the work folder's path is too long");

  /* 1. Open the agent with the defaults. */
  if (check(tacet_options_new(&options), "creating options") ||
      check(tacet_options_set_data_dir(options, device), "setting the data directory") ||
      check(tacet_agent_open(options, &agent), "opening the agent"))
    goto done;
  printf("opened                device folder %s (Tacet %s, ABI %u)\n", device, tacet_version(),
         (unsigned)tacet_abi_version());

  /* 2. What needs asking: purposes the user may refuse and nobody decided yet. */
  if (check(tacet_consent_items(agent, TACET_SUBJECT_PURPOSE, &purposes), "listing purposes"))
    goto done;
  printf("needs asking         ");
  for (i = 0; i < purposes->count; i++) {
    if (purposes->items[i].askable && purposes->items[i].state == TACET_CONSENT_UNKNOWN)
      printf(" %s", purposes->items[i].id);
  }
  printf("\n");

  /* 3. The user's answers, from the setup screen; the firmware's own microphone setting. */
  if (check(tacet_consent_set_category_provided(agent, "voice", 1, TACET_SOURCE_USER),
            "providing voice data") ||
      check(tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_GRANTED,
                                      TACET_SOURCE_USER), "granting voice_features") ||
      check(tacet_consent_set_purpose(agent, "advertising", TACET_CONSENT_DENIED,
                                      TACET_SOURCE_USER), "refusing advertising") ||
      check(tacet_agent_set_os_permission(agent, TACET_OS_PERMISSION_MICROPHONE,
                                          TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE),
            "granting the microphone"))
    goto done;
  printf("recorded              voice_features granted, voice data provided, advertising refused\n");

  /* 4. A gated voice session: frames reach it until the user revokes consent. */
  memset(&callbacks, 0, sizeof callbacks);
  callbacks.struct_size = sizeof callbacks;
  callbacks.on_frame = on_frame;
  callbacks.on_ended = on_ended;
  callbacks.user_data = &voice;
  if (tacet_voice_session_open(agent, "advertising", &callbacks, &session, &denial) !=
          TACET_ERR_PERMISSION_DENIED || session != NULL) {
    fail("a voice session for advertising was not refused");
    goto done;
  }
  printf("voice for advertising refused: %s\n", tacet_denial_reason_name(denial));
  if (check(tacet_voice_session_open(agent, "voice_features", &callbacks, &session, &denial),
            "opening a voice session") ||
      push_frames(agent, 5))
    goto done;
  printf("voice session         %d frames delivered\n", voice.frames);
  if (check(tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_DENIED,
                                      TACET_SOURCE_USER), "revoking voice_features") ||
      push_frames(agent, 5))
    goto done;
  printf("revoked               session ended: %s; %d frames delivered after 5 more pushed\n",
         tacet_end_reason_name(voice.ended), voice.frames);
  if (voice.frames != 5 || voice.ended != TACET_END_CONSENT_WITHDRAWN) {
    fail("the revoked session did not end, or got frames after it");
    goto done;
  }
  tacet_voice_session_free(session);
  session = NULL;

  /* 5. A profile value, stored and then corrected by the user; the old value stays in history. */
  if (check(tacet_consent_set_category_provided(agent, "contact", 1, TACET_SOURCE_USER),
            "providing contact data") ||
      check(tacet_vault_set(agent, "contact", "email_address", "ada@example.org", 15,
                            TACET_CHANGE_USER, &record_id), "storing the e-mail address") ||
      check(tacet_vault_correct(agent, record_id, "ada@example.net", 15, TACET_CHANGE_USER),
            "correcting the e-mail address") ||
      check(tacet_vault_history(agent, "contact", "email_address", &history),
            "reading the history"))
    goto done;
  printf("profile               contact.email_address:");
  for (i = 0; i < history->count; i++) printf(" v%lld=%s", (long long)history->items[i].version,
                                              history->items[i].value);
  printf("\n");
  if (history->count != 2) {
    fail("the correction did not keep the old value");
    goto done;
  }

  /* 6. The user's copy of everything, and the proofs. */
  if (check(tacet_export_to_file(agent, export_path, &exported), "exporting") ||
      check(tacet_consent_verify(agent), "verifying the consent history") ||
      check(tacet_audit_verify(agent), "verifying the audit log") ||
      check(tacet_vault_verify(agent), "verifying the vault"))
    goto done;
  printf("exported              %lld records, %lld past versions to %s (mode 0600)\n",
         (long long)exported.records, (long long)exported.history_entries, export_path);
  printf("verified              consent history, audit log and vault\n");
  rc = 0;

done:
  tacet_free(history);
  tacet_free(purposes);
  tacet_voice_session_free(session);
  if (agent != NULL && rc == 0 && check(tacet_agent_close(agent), "closing")) rc = 1;
  tacet_agent_free(agent);
  tacet_options_free(options);
  return rc;
}

int main(int argc, char **argv) {
  char temp[4096];
  const char *work;
  int rc;
  if (argc > 1) {
    work = argv[1];
  } else {
    const char *tmp = getenv("TMPDIR");
    snprintf(temp, sizeof temp, "%s/tacet-firmware-c-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(temp) == NULL) return fail("cannot create a work folder");
    work = temp;
  }
  rc = run(work);
  if (argc <= 1) nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (rc == 0) printf("firmware-c: ok\n");
  return rc;
}
