/* libFuzzer: the text tokenizer — the input's lines as texts; a vocabulary of them in every
 * mode, each text to ids both ways round, the vocabulary through the model's metadata and
 * back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_TEXTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *texts[MAX_TEXTS];
    int n = 0;
    for (char *p = buf; p && n < MAX_TEXTS;) {
        texts[n++] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    const cli_tokens modes[] = { TOKENS_WORD, TOKENS_CHAR, TOKENS_RAW_CHAR };
    float ids[16];
    for (int k = 0; k < 3; k++) {
        cli_vocab v = { 0 }, back = { 0 };
        if (!vocab_build(&v, modes[k], texts, n, 20))
            continue;
        for (int i = 0; i < n; i++) {
            text_token_count(texts[i], modes[k]);
            text_to_ids(&v, modes[k], texts[i], 16, i & 1, i & 2, ids);
        }
        char *meta = NULL;
        size_t len = 0;
        if (vocab_to_text(&v, &meta, &len)) {
            if (vocab_from_text(&back, meta))
                vocab_free(&back);
            free(meta);
        }
        vocab_free(&v);
    }
    free(buf);
    return 0;
}
