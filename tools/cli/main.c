/* recur — train, evaluate and run recurrent networks from the shell. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *usage =
    "usage: recur COMMAND [--flag value]...\n"
    "\n"
    "commands:\n"
    "  fit       train a model on a CSV (or MNIST) file and save it\n"
    "  evaluate  loss and metrics of a saved model on a file's test part\n"
    "  predict   write a saved model's predictions as CSV\n"
    "  summary   layers, output shapes and parameter counts\n"
    "  info      version, CPU features, ISA and threads\n"
    "  bench     per-cell throughput of one layer shape\n"
    "  generate  continue a prompt with a next-token model\n"
    "  import    a Keras model file (.keras, legacy .h5) as a recur model\n"
    "  export    a recur model as a Keras 3 .keras file\n"
    "\n"
    "recur COMMAND --help shows the flags of a command.\n";

static const char *help_fit =
    "recur fit --data FILE --task forecast|classify|next-token --model SPEC [flags]\n"
    "recur fit --data FILE --load MODEL [flags]            (resume training)\n"
    "recur fit --x X.npy --y Y.npy --model SPEC|--load MODEL [flags]   (NumPy arrays)\n"
    "mpirun -np N recur fit ...   trains data-parallel: N processes, each its share of every\n"
    "                             batch (--batch-size is the whole batch; --threads per process)\n"
    "\n"
    "model\n"
    "  --model SPEC        layers, comma-separated:\n"
    "                        lstm|gru|rnn:UNITS[:OPTION]...  OPTION an activation (tanh relu\n"
    "                          sigmoid linear hard_sigmoid), rec=ACTIVATION, return_sequences\n"
    "                          (seq), go_backwards, no_bias, reset_before (gru), zero_output,\n"
    "                          stateful, dropout=RATE, recurrent_dropout=RATE\n"
    "                        bidirectional:lstm|gru|rnn:UNITS[:OPTION]...  also\n"
    "                          merge=concat|sum|mul|ave (default concat)\n"
    "                        dense:UNITS[:ACTIVATION]        (also softmax; UNITS vocab: the\n"
    "                                                        vocabulary's size)\n"
    "                        embedding:DIM[:mask_zero]       first layer, with --tokens\n"
    "                        masking[:VALUE]  dropout:RATE  gap  gmp  (global avg / max pooling)\n"
    "                      e.g. lstm:64:seq,lstm:32,dense:1   embedding:64:mask_zero,lstm:64,dense:1:sigmoid\n"
    "data\n"
    "  --data FILE         CSV with a header line (or MNIST records with --format mnist)\n"
    "  --test FILE         held-out file (classification); otherwise the last --test-split\n"
    "  --test-split F      fraction held out from the end, chronologically (default 0.2)\n"
    "  forecast: --column NAME|N (default: last), --window W (10), --horizon H (1),\n"
    "            --scale standard|minmax|none (standard, fitted on the training part)\n"
    "  classify: --label-column NAME|N (default 1), and numeric columns reshaped with\n"
    "            --timesteps T, or --text-column NAME: one-hot characters, or with\n"
    "            --tokens word|char token ids from a vocabulary of the training texts\n"
    "            (--max-tokens N, default 20000, ids 0 padding and 1 unknown included),\n"
    "            padded to --max-length N (default: the longest training text) with\n"
    "            --padding pre|post and cut with --truncating pre|post (both pre, as\n"
    "            Keras's pad_sequences); the vocabulary is saved in the model\n"
    "  --x X.npy --y Y.npy NumPy arrays (float32/float64, C order), memory-mapped: x\n"
    "            [samples, timesteps, features] or [samples, timesteps]; taken as they are (no\n"
    "            scaling); --loss (default mse), the last --test-split (0.2) held out,\n"
    "            --vocab-size N for an embedding first layer\n"
    "  next-token: --data FILE.txt, plain text, with --tokens char|word; windows of --window N\n"
    "            tokens (100), each step's target the token after it; --standardize none|lower\n"
    "            (char tokens; next-token default none: capitals kept); the test part starts at\n"
    "            a line start; its score predicts every token from all before it\n"
    "training\n"
    "  --epochs N (10) --batch-size N (32) --optimizer adam|sgd|rmsprop --lr X --clipnorm X\n"
    "  --loss mse|mae|huber|binary_crossentropy|sparse_categorical_crossentropy\n"
    "  --validation-split F --patience N --seed N --threads N --no-shuffle --verbose 0|1|2\n"
    "  --initial-epoch N   resume a checkpoint written after epoch N (with --load; --epochs\n"
    "                      counts from the start, as Keras's)\n"
    "output\n"
    "  --save FILE (model.recur) --history FILE (per-epoch CSV)\n"
    "  --checkpoint FILE   the model after every --checkpoint-every N (1) epochs and the last\n"
    "  --plot FILE.png (loss per epoch) --plot-forecast FILE.png (forecast against the data)\n";

static const char *help_other =
    "recur evaluate --load MODEL --data FILE [--test FILE]\n"
    "recur predict  --load MODEL --data FILE [--test FILE] --out FILE.csv\n"
    "recur evaluate --load MODEL --x X.npy --y Y.npy\n"
    "recur predict  --load MODEL --x X.npy --out FILE.npy|FILE.csv\n"
    "recur summary  --load MODEL | --model SPEC --input T,F [--vocab-size N]\n"
    "recur import   MODEL.keras|MODEL.h5 --save MODEL.recur\n"
    "recur export   MODEL.recur --out MODEL.keras\n"
    "(every --load takes recur's files and Keras's .keras and .h5 alike, told apart by content)\n"
    "recur info\n"
    "recur generate --load MODEL --prompt TEXT --length N [--temperature T (1; 0: most likely)]\n"
    "               [--top-k K] [--seed S] [--threads N (1)]\n"
    "recur bench    [--cell lstm|gru|rnn] [--batch 32] [--steps 100] [--features 1] [--units 50]\n"
    "               [--threads N] [--iters 20]   (RECUR_ISA=... picks the ISA)\n";

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct { const char *name; int (*run)(cli_args *); const char *help; } cmds[] = {
        { "fit", cmd_fit, NULL }, { "evaluate", cmd_evaluate, NULL },
        { "predict", cmd_predict, NULL }, { "summary", cmd_summary, NULL },
        { "info", cmd_info, NULL }, { "bench", cmd_bench, NULL },
        { "generate", cmd_generate, NULL }, { "import", cmd_import, NULL },
        { "export", cmd_export, NULL },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        for (int k = 2; k < argc; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                fputs(i == 0 ? help_fit : help_other, stdout);
                return 0;
            }
        if (!cli_dist_start(&argc, &argv))
            return 1;
        cli_args a = { argc - 2, argv + 2, calloc((size_t)argc, sizeof(bool)) };
        /* under mpirun only fit is shared; the other commands run on rank 0 */
        const bool mine = i == 0 || cli_rank() == 0;
        int rc = !a.used ? cli_error("out of memory") : mine ? cmds[i].run(&a) : 0;
        free(a.used);
        return cli_dist_finish(rc);
    }
    cli_error("unknown command '%s' (recur --help lists them)", argv[1]);
    return 2;
}
