# FindMbedTLS
# -----------
# Debian's libmbedtls-dev (2.28) ships neither a CMake config nor a pkg-config file, so Tacet finds
# the three libraries itself and exposes them as imported targets:
#
#   MbedTLS::mbedcrypto   ciphers, hashes, bignum, ECP, DRBG
#   MbedTLS::mbedx509     certificate parsing (depends on mbedcrypto)
#   MbedTLS::mbedtls      the TLS stack (depends on mbedx509)
#
# and sets MbedTLS_FOUND, MbedTLS_VERSION, MbedTLS_INCLUDE_DIR.
# Hints: MbedTLS_ROOT. Honours CMAKE_FIND_ROOT_PATH for cross builds (the multiarch
# /usr/lib/<triplet> directories are searched through CMAKE_LIBRARY_ARCHITECTURE).
# Static archives are preferred when MbedTLS_USE_STATIC is set.

find_path(MbedTLS_INCLUDE_DIR NAMES mbedtls/version.h)

if(MbedTLS_USE_STATIC)
  set(_tacet_mbed_names_crypto libmbedcrypto.a mbedcrypto)
  set(_tacet_mbed_names_x509 libmbedx509.a mbedx509)
  set(_tacet_mbed_names_tls libmbedtls.a mbedtls)
else()
  set(_tacet_mbed_names_crypto mbedcrypto)
  set(_tacet_mbed_names_x509 mbedx509)
  set(_tacet_mbed_names_tls mbedtls)
endif()
find_library(MbedTLS_CRYPTO_LIBRARY NAMES ${_tacet_mbed_names_crypto})
find_library(MbedTLS_X509_LIBRARY NAMES ${_tacet_mbed_names_x509})
find_library(MbedTLS_TLS_LIBRARY NAMES ${_tacet_mbed_names_tls})

if(MbedTLS_INCLUDE_DIR AND EXISTS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h")
  file(STRINGS "${MbedTLS_INCLUDE_DIR}/mbedtls/version.h" _tacet_mbed_ver
       REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" MbedTLS_VERSION "${_tacet_mbed_ver}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY
  VERSION_VAR MbedTLS_VERSION)

if(MbedTLS_FOUND)
  set(_tacet_mbed_targets mbedcrypto mbedx509 mbedtls)
  set(_tacet_mbed_vars CRYPTO X509 TLS)
  foreach(_tgt _var IN ZIP_LISTS _tacet_mbed_targets _tacet_mbed_vars)
    if(NOT TARGET MbedTLS::${_tgt})
      add_library(MbedTLS::${_tgt} UNKNOWN IMPORTED)
      set_target_properties(MbedTLS::${_tgt} PROPERTIES
        IMPORTED_LOCATION "${MbedTLS_${_var}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
    endif()
  endforeach()
  set_property(TARGET MbedTLS::mbedx509 APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
  set_property(TARGET MbedTLS::mbedtls APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY)
