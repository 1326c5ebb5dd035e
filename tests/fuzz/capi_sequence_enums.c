/*
 * The C half of capi_sequence_fuzzer.cc: the calls that pass or return enum values outside their
 * enums. C converts any int to an enum type (C++ calls that undefined, and UBSan would flag the
 * fuzzer instead of the library), which is what a C caller of tacet.h may do.
 */
#include "capi_sequence_enums.h"

int fz_permission_state = 0;
int fz_permission_precision = 0;

tacet_status fz_status(int value) { return (tacet_status)value; }

int fz_consent_get(tacet_agent_t *agent, int kind, const char *id, int *out_state) {
  tacet_consent_state state = TACET_CONSENT_UNKNOWN;
  tacet_status s = tacet_consent_get(agent, (tacet_subject_kind)kind, id, &state);
  *out_state = (int)state;
  return (int)s;
}

int fz_consent_items(tacet_agent_t *agent, int kind, tacet_consent_list **out_list) {
  return (int)tacet_consent_items(agent, (tacet_subject_kind)kind, out_list);
}

int fz_set_purpose(tacet_agent_t *agent, const char *id, int state, int source) {
  return (int)tacet_consent_set_purpose(agent, id, (tacet_consent_state)state,
                                        (tacet_decision_source)source);
}

int fz_set_channel(tacet_agent_t *agent, const char *id, int state, int source) {
  return (int)tacet_consent_set_channel(agent, id, (tacet_consent_state)state,
                                        (tacet_decision_source)source);
}

int fz_set_category_provided(tacet_agent_t *agent, const char *id, int provided, int source) {
  return (int)tacet_consent_set_category_provided(agent, id, provided,
                                                  (tacet_decision_source)source);
}

int fz_set_location_precision(tacet_agent_t *agent, int precision, int source) {
  return (int)tacet_consent_set_location_precision(agent, (tacet_location_precision)precision,
                                                   (tacet_decision_source)source);
}

int fz_set_os_permission(tacet_agent_t *agent, int permission, int state, int precision) {
  return (int)tacet_agent_set_os_permission(agent, (tacet_os_permission)permission,
                                            (tacet_permission_state)state,
                                            (tacet_location_precision)precision);
}

int fz_os_permission_changed(tacet_agent_t *agent, int permission) {
  return (int)tacet_agent_os_permission_changed(agent, (tacet_os_permission)permission);
}

int fz_location_open(tacet_agent_t *agent, const char *purpose, int requested,
                     const tacet_location_callbacks *callbacks,
                     tacet_location_session_t **out_session, int *out_denial) {
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_status s = tacet_location_session_open(agent, purpose, (tacet_location_precision)requested,
                                               callbacks, out_session, &denial);
  *out_denial = (int)denial;
  return (int)s;
}

int fz_location_check(tacet_agent_t *agent, const char *purpose, int requested, int *out_denial,
                      int *out_effective) {
  tacet_denial_reason denial = TACET_DENIAL_NONE;
  tacet_location_precision effective = TACET_PRECISION_NONE;
  tacet_status s = tacet_location_check(agent, purpose, (tacet_location_precision)requested,
                                        &denial, &effective);
  *out_denial = (int)denial;
  *out_effective = (int)effective;
  return (int)s;
}

int fz_vault_set(tacet_agent_t *agent, int add, const char *category, const char *field,
                 const char *value, size_t value_len, int source, int64_t *out_record_id) {
  if (add) {
    return (int)tacet_vault_add(agent, category, field, value, value_len,
                                (tacet_change_source)source, out_record_id);
  }
  return (int)tacet_vault_set(agent, category, field, value, value_len,
                              (tacet_change_source)source, out_record_id);
}

int fz_vault_correct(tacet_agent_t *agent, int64_t record_id, const char *value,
                     size_t value_len, int source) {
  return (int)tacet_vault_correct(agent, record_id, value, value_len,
                                  (tacet_change_source)source);
}

int fz_set_log_level(tacet_options_t *options, int level) {
  return (int)tacet_options_set_log_level(options, (tacet_log_level)level);
}

int fz_names_are_set(int value) {
  const char *names[6];
  int i;
  names[0] = tacet_consent_state_name((tacet_consent_state)value);
  names[1] = tacet_decision_source_name((tacet_decision_source)value);
  names[2] = tacet_denial_reason_name((tacet_denial_reason)value);
  names[3] = tacet_end_reason_name((tacet_end_reason)value);
  names[4] = tacet_location_precision_name((tacet_location_precision)value);
  names[5] = tacet_status_name((tacet_status)value);
  for (i = 0; i < 6; ++i) {
    if (names[i] == NULL || names[i][0] == '\0') return 0;
  }
  return 1;
}

static tacet_permission_state query(void *ctx, tacet_os_permission permission) {
  (void)ctx;
  (void)permission;
  return (tacet_permission_state)fz_permission_state;
}

static tacet_location_precision location_precision(void *ctx) {
  (void)ctx;
  return (tacet_location_precision)fz_permission_precision;
}

void fz_fill_permissions(tacet_permissions *table) {
  table->query = query;
  table->location_precision = location_precision;
}
