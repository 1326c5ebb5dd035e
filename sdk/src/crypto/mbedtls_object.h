// Internal: RAII ownership of one mbedTLS object (context, group, point, bignum).
#ifndef TACET_CRYPTO_MBEDTLS_OBJECT_H_
#define TACET_CRYPTO_MBEDTLS_OBJECT_H_

namespace tacet::crypto::internal {

// A T that is initialised with Init on construction and released with Free on destruction. The
// mbedTLS free functions wipe what the object holds (keys, scalars, key schedules), so a secret
// inside one is zeroised on every path out of a scope. Neither copyable nor movable: the object
// stays where mbedTLS may keep pointers into it. Not thread-safe; one owner, one thread at a time.
template <typename T, void (*Init)(T*), void (*Free)(T*)>
class MbedtlsObject {
 public:
  MbedtlsObject() { Init(&object_); }
  ~MbedtlsObject() { Free(&object_); }
  MbedtlsObject(const MbedtlsObject&) = delete;
  MbedtlsObject& operator=(const MbedtlsObject&) = delete;

  T* get() { return &object_; }
  const T* get() const { return &object_; }
  T* operator->() { return &object_; }
  const T* operator->() const { return &object_; }

 private:
  T object_;
};

}  // namespace tacet::crypto::internal

#endif  // TACET_CRYPTO_MBEDTLS_OBJECT_H_
