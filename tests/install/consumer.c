/* A program built against an installed recur: one LSTM step through the public API. */
#include <stdio.h>

#include <recur/recur.h>

int main(void)
{
    recur_rnn_config cfg = { .cell = RECUR_LSTM, .input_size = 2, .units = 3 };
    recur_rnn *r;
    if (recur_rnn_create(&cfg, &r) != RECUR_OK) {
        fprintf(stderr, "consumer: %s\n", recur_last_error());
        return 1;
    }
    float x[2 * 4] = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f }, y[2 * 4 * 3];
    const recur_status s = recur_rnn_forward(r, 2, 4, x, NULL, NULL, y, NULL, NULL);
    recur_rnn_free(r);
    printf("recur %s: %s\n", recur_version(), s == RECUR_OK ? "ok" : recur_last_error());
    return s == RECUR_OK ? 0 : 1;
}
