/* A firmware build that found the installed Tacet (find_package or pkg-config) and uses only
 * tacet/tacet.h: open an agent, record a consent, run a gated voice session, store a profile
 * value. Argument: a fresh device folder. */
#include <stdio.h>
#include <tacet/tacet.h>

static int frames;
static void on_frame(const int16_t *s, size_t n, int64_t t, void *u) { (void)s; (void)n; (void)t; (void)u; frames++; }

#define TRY(call) if ((call) != TACET_OK) { fprintf(stderr, "%s: %s\n", #call, tacet_last_error_message()); return 1; }

int main(int argc, char **argv) {
  tacet_options_t *options;
  tacet_agent_t *agent;
  tacet_voice_session_t *session;
  tacet_voice_callbacks cb = {sizeof(tacet_voice_callbacks), on_frame, NULL, NULL, NULL};
  int16_t frame[320] = {0};
  if (argc < 2) return 2;
  TRY(tacet_options_new(&options));
  TRY(tacet_options_set_data_dir(options, argv[1]));
  TRY(tacet_agent_open(options, &agent));
  TRY(tacet_consent_set_category_provided(agent, "voice", 1, TACET_SOURCE_USER));
  TRY(tacet_consent_set_purpose(agent, "voice_features", TACET_CONSENT_GRANTED, TACET_SOURCE_USER));
  TRY(tacet_agent_set_os_permission(agent, TACET_OS_PERMISSION_MICROPHONE, TACET_PERMISSION_GRANTED, TACET_PRECISION_NONE));
  TRY(tacet_voice_session_open(agent, "voice_features", &cb, &session, NULL));
  TRY(tacet_voice_push_frame(agent, frame, 320, 0));
  tacet_voice_session_free(session);
  TRY(tacet_consent_set_category_provided(agent, "contact", 1, TACET_SOURCE_USER));
  TRY(tacet_vault_set(agent, "contact", "email_address", "ada@example.org", 15, TACET_CHANGE_USER, NULL));
  tacet_agent_free(agent);
  tacet_options_free(options);
  printf("consumer linked tacet %s: consent recorded, %d frame through the gate, value stored\n", tacet_version(), frames);
  return frames == 1 ? 0 : 1;
}
