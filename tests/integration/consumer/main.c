/* Links against the installed tacet::sdk through the C API only (C99, no C++ headers). */
#include <stdio.h>
#include <string.h>

#include <tacet/tacet.h>

int main(void) {
  const char *version = tacet_version();
  if (version == NULL || strlen(version) == 0) {
    fprintf(stderr, "no version\n");
    return 1;
  }
  if (strcmp(tacet_status_name(TACET_ERR_DATA_LOSS), "data loss") != 0) {
    fprintf(stderr, "wrong status name\n");
    return 1;
  }
  printf("consumer linked tacet %s\n", version);
  return 0;
}
