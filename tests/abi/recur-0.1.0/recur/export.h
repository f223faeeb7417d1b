/* recur — symbol visibility. The library is built with hidden visibility; only
 * declarations marked RECUR_API form the ABI. */
#ifndef RECUR_EXPORT_H
#define RECUR_EXPORT_H

#if defined(_WIN32)
#define RECUR_API
#elif defined(__GNUC__)
#define RECUR_API __attribute__((visibility("default")))
#else
#define RECUR_API
#endif

#define RECUR_VERSION_MAJOR 0
#define RECUR_VERSION_MINOR 1
#define RECUR_VERSION_PATCH 0

#endif
