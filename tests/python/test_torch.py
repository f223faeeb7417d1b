"""recur.torch against torch.nn: the same outputs and gradients from the same state_dict,
for every cell, depth, direction and layout, initial states, unbatched and packed input;
and a short training run that follows torch.nn's."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed")

import recur.torch as rt  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence  # noqa: E402

TOL = dict(rtol=2e-5, atol=2e-6)


def pair(mode, *args, **kwargs):
    torch.manual_seed(0)
    ref = getattr(torch.nn, mode)(*args, **kwargs)
    mine = getattr(rt, mode)(*args, **kwargs)
    mine.load_state_dict(ref.state_dict())
    return ref, mine


def flat_states(states):
    return torch.cat([s.reshape(-1) for s in states]) if isinstance(states, tuple) \
        else states.reshape(-1)


def run_both(ref, mine, x, hx=None):
    """Outputs and every gradient of a loss through outputs and states, for both."""
    results = []
    for module in (ref, mine):
        module.zero_grad()
        xi = x.detach().clone().requires_grad_()
        h = None
        if hx is not None:
            h = tuple(s.detach().clone().requires_grad_() for s in hx) \
                if isinstance(hx, tuple) else hx.detach().clone().requires_grad_()
        out, states = module(xi) if h is None else module(xi, h)
        weights = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
        loss = (out * weights).sum() + flat_states(states).square().sum()
        loss.backward()
        grads = [xi.grad] + [p.grad for p in module.parameters()]
        if h is not None:
            grads += [s.grad for s in (h if isinstance(h, tuple) else (h,))]
        results.append((out, flat_states(states), grads))
    return results


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (2, True)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_outputs_and_gradients_match_torch_nn(mode, layers, bidirectional, batch_first):
    ref, mine = pair(mode, 5, 7, num_layers=layers, bidirectional=bidirectional,
                     batch_first=batch_first)
    x = torch.randn(4, 6, 5) if batch_first else torch.randn(6, 4, 5)
    (o1, s1, g1), (o2, s2, g2) = run_both(ref, mine, x)
    torch.testing.assert_close(o2, o1, **TOL)
    torch.testing.assert_close(s2, s1, **TOL)
    for a, b in zip(g2, g1):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_input_that_needs_no_gradient(bidirectional, monkeypatch):
    """Data without requires_grad: the first layer computes no dx (the second still does,
    its input is the first's output), and the weights' gradients are those of a run that
    did compute it, bit for bit."""
    from recur.torch._direction import Direction
    asked = []
    original = Direction.backward

    def spy(self, dy, dh, dc, x_shape, want_x, *rest):
        asked.append(want_x)
        return original(self, dy, dh, dc, x_shape, want_x, *rest)

    monkeypatch.setattr(Direction, "backward", spy)
    _, mine = pair("LSTM", 5, 7, num_layers=2, bidirectional=bidirectional,
                   batch_first=True)
    x = torch.randn(4, 6, 5)
    grads = []
    for needs in (True, False):
        mine.zero_grad()
        asked.clear()
        xi = x.clone().requires_grad_(needs)
        out, _ = mine(xi)
        out.square().sum().backward()
        assert (xi.grad is not None) == needs
        directions = 2 if bidirectional else 1
        assert sorted(asked) == sorted([True] * directions + [needs] * directions)
        grads.append([p.grad.clone() for p in mine.parameters()])
    for a, b in zip(*grads):
        assert torch.equal(a, b)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_initial_states_and_their_gradients(mode):
    ref, mine = pair(mode, 3, 4, num_layers=2, bidirectional=True)
    x = torch.randn(5, 2, 3)
    h = torch.randn(4, 2, 4)
    hx = (h, torch.randn(4, 2, 4)) if mode == "LSTM" else h
    (o1, s1, g1), (o2, s2, g2) = run_both(ref, mine, x, hx)
    torch.testing.assert_close(o2, o1, **TOL)
    torch.testing.assert_close(s2, s1, **TOL)
    for a, b in zip(g2, g1):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_relu_rnn_no_bias_and_unbatched_input():
    ref, mine = pair("RNN", 3, 5, nonlinearity="relu", bias=False)
    assert [n for n, _ in mine.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    x = torch.randn(7, 3)                       # (T, F): no batch axis
    (o1, s1, g1), (o2, s2, g2) = run_both(ref, mine, x)
    assert o2.shape == (7, 5) and s2.shape == (5,)
    torch.testing.assert_close(o2, o1, **TOL)
    for a, b in zip(g2, g1):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequences(mode, bidirectional):
    ref, mine = pair(mode, 3, 4, bidirectional=bidirectional, batch_first=True)
    x = torch.randn(5, 6, 3)
    lengths = torch.tensor([6, 2, 4, 1, 3])
    outs = []
    for module in (ref, mine):
        xi = x.clone().requires_grad_()
        packed = pack_padded_sequence(xi, lengths, batch_first=True, enforce_sorted=False)
        out, states = module(packed)
        padded, got_lengths = pad_packed_sequence(out, batch_first=True)
        assert torch.equal(got_lengths, lengths)
        (padded.sin().sum() + flat_states(states).sum()).backward()
        outs.append((padded, flat_states(states), xi.grad,
                     [p.grad for p in module.parameters()]))
    torch.testing.assert_close(outs[1][0], outs[0][0], **TOL)
    torch.testing.assert_close(outs[1][1], outs[0][1], **TOL)
    torch.testing.assert_close(outs[1][2], outs[0][2], rtol=1e-4, atol=1e-5)
    for a, b in zip(outs[1][3], outs[0][3]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_state_dict_names_and_shapes_are_torch_nn():
    ref, mine = pair("LSTM", 3, 4, num_layers=2, bidirectional=True)
    assert list(mine.state_dict()) == list(ref.state_dict())
    for (n1, p1), (n2, p2) in zip(ref.named_parameters(), mine.named_parameters()):
        assert n1 == n2 and p1.shape == p2.shape
    torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).load_state_dict(mine.state_dict())


def test_module_applied_twice_before_backward():
    ref, mine = pair("GRU", 3, 4)
    x1, x2 = torch.randn(5, 2, 3), torch.randn(5, 2, 3)
    grads = []
    for module in (ref, mine):
        module.zero_grad()
        a, _ = module(x1)
        b, _ = module(x2)                       # the second call overwrites the first's state
        (a.sum() + 2 * b.sum()).backward()
        grads.append([p.grad.clone() for p in module.parameters()])
    for a, b in zip(grads[1], grads[0]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_inference_without_grad_and_changed_weights():
    ref, mine = pair("LSTM", 3, 4)
    x = torch.randn(5, 2, 3)
    with torch.no_grad():
        torch.testing.assert_close(mine(x)[0], ref(x)[0], **TOL)
        for p1, p2 in zip(ref.parameters(), mine.parameters()):
            p1.mul_(0.5)
            p2.mul_(0.5)                        # repacked: the version counter moved
        torch.testing.assert_close(mine(x)[0], ref(x)[0], **TOL)


def test_training_follows_torch_nn():
    torch.manual_seed(1)
    x = torch.randn(64, 12, 3)
    y = x[:, :, 0].cumsum(1)[:, -1:] * 0.3
    torch.manual_seed(2)
    start = torch.nn.LSTM(3, 16, num_layers=2, batch_first=True).state_dict()
    losses = []
    for impl in (torch.nn, rt):
        rnn = impl.LSTM(3, 16, num_layers=2, batch_first=True)
        rnn.load_state_dict(start)
        torch.manual_seed(3)
        head = torch.nn.Linear(16, 1)
        opt = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=0.01)
        run = []
        for step in range(40):
            i = (step * 16) % 64
            out, _ = rnn(x[i:i + 16])
            loss = torch.nn.functional.mse_loss(head(out[:, -1]), y[i:i + 16])
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.append(loss.item())
        losses.append(run)
    assert losses[1][-1] < 0.5 * losses[1][0]
    for a, b in zip(losses[1], losses[0]):
        assert a == pytest.approx(b, rel=2e-3, abs=1e-5)


def test_what_recur_cannot_do_is_refused():
    with pytest.raises(NotImplementedError, match="proj_size"):
        rt.LSTM(3, 4, proj_size=2)
    with pytest.raises(NotImplementedError, match="CPU"):
        rt.GRU(3, 4, device="cuda")
    with pytest.raises(NotImplementedError, match="float32"):
        rt.RNN(3, 4, dtype=torch.float64)
    m = rt.LSTM(3, 4)
    with pytest.raises(TypeError, match="float32"):
        m(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="input_size"):
        m(torch.randn(5, 2, 4))
    with pytest.raises(RuntimeError, match="hidden size"):
        m(torch.randn(5, 2, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        rt.RNN(3, 4, nonlinearity="gelu")
