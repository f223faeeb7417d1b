/* Internal: reading the public option structs whatever header the caller was built with
 * (docs/ABI.md). A caller passes sizeof the struct as its header declared it; fields past
 * that size did not exist for it and take their zero default. */
#ifndef RECUR_CORE_ABI_H
#define RECUR_CORE_ABI_H

#include <stddef.h>
#include <string.h>

/* dst (the library's struct, dst_size bytes) = the first src_size bytes of src, the rest
 * zero. */
static inline void recur_abi_copy(void *dst, size_t dst_size, const void *src, size_t src_size)
{
    memset(dst, 0, dst_size);
    memcpy(dst, src, src_size < dst_size ? src_size : dst_size);
}

#endif
