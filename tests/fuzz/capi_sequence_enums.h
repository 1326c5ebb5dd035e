/* The C half of capi_sequence_fuzzer.cc (capi_sequence_enums.c): enum arguments and results as
 * plain ints, any value, including ones outside the enums. */
#ifndef TACET_TESTS_FUZZ_CAPI_SEQUENCE_ENUMS_H_
#define TACET_TESTS_FUZZ_CAPI_SEQUENCE_ENUMS_H_

#include "tacet/tacet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the permissions table answers (any int: values outside the enums too). */
extern int fz_permission_state;
extern int fz_permission_precision;

/* `value` as a tacet_status, for the caller's functions that return one (tables, writers). */
tacet_status fz_status(int value);

int fz_consent_get(tacet_agent_t *agent, int kind, const char *id, int *out_state);
int fz_consent_items(tacet_agent_t *agent, int kind, tacet_consent_list **out_list);
int fz_set_purpose(tacet_agent_t *agent, const char *id, int state, int source);
int fz_set_channel(tacet_agent_t *agent, const char *id, int state, int source);
int fz_set_category_provided(tacet_agent_t *agent, const char *id, int provided, int source);
int fz_set_location_precision(tacet_agent_t *agent, int precision, int source);
int fz_set_os_permission(tacet_agent_t *agent, int permission, int state, int precision);
int fz_os_permission_changed(tacet_agent_t *agent, int permission);
int fz_location_open(tacet_agent_t *agent, const char *purpose, int requested,
                     const tacet_location_callbacks *callbacks,
                     tacet_location_session_t **out_session, int *out_denial);
int fz_location_check(tacet_agent_t *agent, const char *purpose, int requested, int *out_denial,
                      int *out_effective);
int fz_vault_set(tacet_agent_t *agent, int add, const char *category, const char *field,
                 const char *value, size_t value_len, int source, int64_t *out_record_id);
int fz_vault_correct(tacet_agent_t *agent, int64_t record_id, const char *value,
                     size_t value_len, int source);
int fz_set_log_level(tacet_options_t *options, int level);
/* 1 when every name function answers a non-empty string for `value`. */
int fz_names_are_set(int value);
/* Sets the permissions table's two functions (which answer the two ints above). */
void fz_fill_permissions(tacet_permissions *table);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TACET_TESTS_FUZZ_CAPI_SEQUENCE_ENUMS_H_ */
