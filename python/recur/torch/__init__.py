"""recur.torch: drop-in replacements for torch.nn.LSTM, GRU and RNN on CPU float32.

    from recur.torch import LSTM          # instead of torch.nn.LSTM
    lstm = LSTM(input_size=8, hidden_size=64, num_layers=2, batch_first=True)
    lstm.load_state_dict(torch_lstm.state_dict())
    output, (h_n, c_n) = lstm(x)

Needs PyTorch (any 1.13 or later) installed.
"""
try:
    import torch as _torch  # noqa: F401
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("recur.torch needs PyTorch: pip install torch (or Debian's "
                      "python3-torch)") from e

from .rnn import GRU, LSTM, RNN, RNNBase

__all__ = ["LSTM", "GRU", "RNN", "RNNBase"]
