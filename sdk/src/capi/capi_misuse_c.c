/* Calls from C with enum arguments out of range, as a C caller may make them (in C an enum is an
 * int; C++ test code could not pass these values without undefined behaviour). Used by
 * capi_misuse_test.cc. */
#include "tacet/tacet.h"

tacet_status misuse_set_purpose_state(tacet_agent_t *agent, int state) {
  return tacet_consent_set_purpose(agent, "analytics", (tacet_consent_state)state,
                                   TACET_SOURCE_USER);
}

tacet_status misuse_set_purpose_source(tacet_agent_t *agent, int source) {
  return tacet_consent_set_purpose(agent, "analytics", TACET_CONSENT_GRANTED,
                                   (tacet_decision_source)source);
}

tacet_status misuse_consent_get_kind(tacet_agent_t *agent, int kind) {
  tacet_consent_state state;
  return tacet_consent_get(agent, (tacet_subject_kind)kind, "analytics", &state);
}

tacet_status misuse_set_location_precision(tacet_agent_t *agent, int precision) {
  return tacet_consent_set_location_precision(agent, (tacet_location_precision)precision,
                                              TACET_SOURCE_USER);
}

tacet_status misuse_vault_set_source(tacet_agent_t *agent, int source) {
  return tacet_vault_set(agent, "contact", "email_address", "a@b.example", 11,
                         (tacet_change_source)source, 0);
}

tacet_status misuse_set_os_permission(tacet_agent_t *agent, int permission, int state) {
  return tacet_agent_set_os_permission(agent, (tacet_os_permission)permission,
                                       (tacet_permission_state)state, TACET_PRECISION_NONE);
}

tacet_status misuse_set_log_level(tacet_options_t *options, int level) {
  return tacet_options_set_log_level(options, (tacet_log_level)level);
}

const char *misuse_denial_name(int reason) {
  return tacet_denial_reason_name((tacet_denial_reason)reason);
}

tacet_status misuse_fill_with_status_42(void *ctx, uint8_t *out, size_t len) {
  (void)ctx;
  (void)out;
  (void)len;
  return (tacet_status)42;
}
