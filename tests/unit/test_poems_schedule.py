"""Poems trainer pieces without a training run: held-out scoring against NumPy, the streams and the
LSTM state carried across batches, the learning-rate schedule, the budget plan and the sizing table."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

from training.poems import schedule, sizing
from training.poems.batches import score_windows, stream_batch, stream_length, stream_steps

pytestmark = pytest.mark.train
VOCAB, LAYERS, UNITS = 7, 2, 5


def numpy_ce(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Cross-entropy of each target under softmax(logits), in nats, in float64."""
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, targets[..., None], axis=-1)[..., 0]


@pytest.fixture(scope="module")
def tiny():
    import tf_keras as keras

    from training.poems.model import build_model, set_weights_by_layer, weights_by_layer

    keras.utils.set_random_seed(3)
    carry = build_model(VOCAB, LAYERS, UNITS, embed=3, carry=True)
    plain = build_model(VOCAB, LAYERS, UNITS, embed=3)
    set_weights_by_layer(plain, weights_by_layer(carry))
    return carry, plain


def test_score_windows_cover_every_target_once():
    ids = np.arange(24) % VOCAB
    parts = score_windows(ids, 10)
    assert [x.shape for x, _ in parts] == [(2, 10), (1, 3)]  # 23 targets: two whole windows and one of 3
    inputs = np.concatenate([x.ravel() for x, _ in parts])
    targets = np.concatenate([y.ravel() for _, y in parts])
    np.testing.assert_array_equal(inputs, ids[:-1])
    np.testing.assert_array_equal(targets, ids[1:])
    assert [x.shape for x, _ in score_windows(ids[:21], 10)] == [(2, 10)]
    assert score_windows(ids[:1], 10) == []


def test_windowed_and_stateful_losses_match_numpy(tiny, monkeypatch):
    """The windowed figure is the mean NumPy cross-entropy of the model's logits over every target, each window
    read from a zero state; the stateful one over the whole text read in one go (here cut into calls of 7)."""
    from training.poems import evaluate

    carry, plain = tiny
    ids = np.random.default_rng(0).integers(0, VOCAB, 58).astype(np.int32)  # 57 targets: 5 windows of 11 and one of 2
    seq = 11
    per_window = []
    for start in range(0, len(ids) - 1, seq):
        x, y = ids[start:start + seq], ids[start + 1:start + seq + 1]
        x = x[:len(y)]
        logits = plain(x[None], training=False).numpy()[0]  # a fresh call: zero state
        per_window.append(numpy_ce(logits, y))
    assert [len(w) for w in per_window] == [11, 11, 11, 11, 11, 2]
    expected = np.concatenate(per_window).mean()  # every target weighs the same, also in the short window
    scorer = evaluate.Scorer(carry, LAYERS, UNITS, seq, batch=2)  # batches of 2 windows, then the short one
    assert scorer.windowed(ids) == pytest.approx(expected, abs=1e-5)

    stream = numpy_ce(plain(ids[None, :-1], training=False).numpy()[0], ids[1:]).mean()
    monkeypatch.setattr(evaluate, "STREAM_CHUNK", 7)
    assert scorer.stateful(ids) == pytest.approx(stream, abs=1e-5)
    assert abs(stream - expected) > 1e-4  # the two figures do differ


def test_streams_are_contiguous_rows_with_a_seeded_phase():
    ids = np.arange(5000)
    batch, seq = 4, 16
    steps = stream_steps(len(ids), batch, seq)
    length = stream_length(len(ids), batch, seq)
    assert steps == length // seq and batch * length <= len(ids) - seq
    for epoch in (0, 1):
        rows = [stream_batch(ids, batch, seq, 7, epoch, k) for k in range(steps)]
        for k in range(steps - 1):  # row b of batch k + 1 continues row b of batch k
            np.testing.assert_array_equal(rows[k + 1][0][:, 0], rows[k][0][:, -1] + 1)
        x, y = rows[0]
        np.testing.assert_array_equal(y, x + 1)
        np.testing.assert_array_equal(np.diff(x[:, 0]), length)  # stream b starts b stream lengths in
        assert rows[-1][1].max() < len(ids)
    phases = {int(stream_batch(ids, batch, seq, 7, e, 0)[0][0, 0]) for e in range(6)}
    assert len(phases) > 1 and all(0 <= p < seq for p in phases)
    np.testing.assert_array_equal(stream_batch(ids, batch, seq, 7, 3, 2)[0], stream_batch(ids, batch, seq, 7, 3, 2)[0])


def test_the_state_is_carried_from_one_batch_to_the_next(tiny):
    """With the learning rate at 0, two carried batches end in the state of reading each row's 2T characters at once;
    --no-carry starts every batch from zero."""
    import tensorflow as tf

    from training.poems.steps import Replicated

    carry, plain = tiny
    config = {"layers": LAYERS, "units": UNITS, "embed": 3, "dropout": 0.0, "batch": 3, "lr": 0.0}
    net = Replicated(tf.distribute.get_strategy(), config, VOCAB)
    net.model.set_weights(carry.get_weights())
    rng = np.random.default_rng(1)
    rows = rng.integers(0, VOCAB, (3, 2 * 6 + 1)).astype(np.int32)
    for k in range(2):
        net.train(rows[:, 6 * k:6 * k + 6], rows[:, 6 * k + 1:6 * k + 7], 0.0, carry=True)
    _, *whole = carry([rows[:, :12], *[np.zeros((3, UNITS), np.float32)] * (2 * LAYERS)], training=False)
    for got, want in zip(net.states, whole):
        np.testing.assert_allclose(np.asarray(got), want.numpy(), atol=1e-5)
    saved = net.carried()
    assert sorted(saved) == [f"0/{k}" for k in range(2 * LAYERS)]
    net.reset()
    assert all(not np.asarray(s).any() for s in net.states)
    net.restore(saved)
    np.testing.assert_array_equal(np.asarray(net.states[0]), saved["0/0"])

    net.train(rows[:, 6:12], rows[:, 7:13], 0.0, carry=False)
    _, *second = carry([rows[:, 6:12], *[np.zeros((3, UNITS), np.float32)] * (2 * LAYERS)], training=False)
    np.testing.assert_allclose(np.asarray(net.states[1]), second[1].numpy(), atol=1e-5)



def test_reset_rows_start_cold_and_the_others_carry(tiny):
    """--reset-rows: a row marked cold reads its batch from a zero state, the others from the carried one."""
    import tensorflow as tf

    from training.poems.steps import Replicated
    from training.poems.train import Session

    carry, _ = tiny
    config = {"layers": LAYERS, "units": UNITS, "embed": 3, "dropout": 0.0, "batch": 3, "lr": 0.0}
    net = Replicated(tf.distribute.get_strategy(), config, VOCAB)
    net.model.set_weights(carry.get_weights())
    rows = np.random.default_rng(2).integers(0, VOCAB, (3, 13)).astype(np.int32)
    zeros = [np.zeros((3, UNITS), np.float32)] * (2 * LAYERS)
    net.train(rows[:, :6], rows[:, 1:7], 0.0, carry=True)
    net.train(rows[:, 6:12], rows[:, 7:13], 0.0, carry=True, cold=np.array([False, True, False]))
    _, *whole = carry([rows[:, :12], *zeros], training=False)
    _, *fresh = carry([rows[:, 6:12], *zeros], training=False)
    for got, carried, cold in zip(net.states, whole, fresh):
        got = np.asarray(got)
        np.testing.assert_allclose(got[[0, 2]], carried.numpy()[[0, 2]], atol=1e-5)
        np.testing.assert_allclose(got[1], cold.numpy()[1], atol=1e-5)
        assert not np.allclose(got[1], carried.numpy()[1], atol=1e-3)

    trainer = Session.__new__(Session)
    trainer.carry, trainer.batch, trainer.config = True, 4000, {"seed": 3, "reset_rows": 0.05}
    drawn = trainer.cold_rows(2, 5)
    assert abs(drawn.mean() - 0.05) < 0.015 and np.array_equal(drawn, trainer.cold_rows(2, 5))
    assert not np.array_equal(drawn, trainer.cold_rows(2, 6)) and trainer.cold_rows(2, 0) is None
    trainer.config = {"seed": 3}
    assert trainer.cold_rows(2, 5) is None

def test_weight_decay_shrinks_the_kernels_and_the_embedding_but_not_the_biases(tiny):
    """--weight-decay W: the same step as Adam's, plus var -= lr x W x var on every non-bias variable."""
    import tensorflow as tf

    from training.poems.steps import Replicated

    carry, _ = tiny
    rows = np.random.default_rng(4).integers(0, VOCAB, (3, 7)).astype(np.int32)
    start = carry.get_weights()
    after = {}
    for decay in (0.0, 0.5):
        config = {"layers": LAYERS, "units": UNITS, "embed": 3, "dropout": 0.0, "batch": 3, "lr": 0.01,
                  "weight_decay": decay}
        net = Replicated(tf.distribute.get_strategy(), config, VOCAB)
        net.model.set_weights(start)
        net.train(rows[:, :6], rows[:, 1:7], 0.01, carry=True)
        after[decay] = {v.name: v.numpy() for v in net.model.trainable_variables}
    assert type(net.optimizer).__name__ == "AdamW"
    initial = {v.name: w for v, w in zip(net.model.trainable_variables, start)}
    decayed = 0
    for name, w0 in initial.items():
        shift = after[0.5][name] - after[0.0][name]
        if "bias" in name:
            np.testing.assert_allclose(shift, 0.0, atol=1e-7)
        else:
            np.testing.assert_allclose(shift, -0.01 * 0.5 * w0, rtol=1e-3, atol=1e-7)
            decayed += 1
    assert decayed == 2 * LAYERS + 2  # every LSTM kernel and recurrent kernel, the embedding, the logits' kernel


def test_learning_rate_warms_up_and_decays_to_the_end_of_the_plan():
    config = {"lr": 0.01, "lr_schedule": "cosine", "warmup": 0.1, "lr_floor": 0.1}
    lrs = [schedule.lr_at(config, s, 100) for s in range(100)]
    assert lrs[0] == pytest.approx(0.001) and lrs[9] == pytest.approx(0.01)  # 10 warm-up steps
    assert all(a <= b for a, b in zip(lrs[:10], lrs[1:10])) and all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert schedule.lr_at(config, 100, 100) == pytest.approx(0.001)  # the floor at the end of the plan
    assert schedule.lr_at(config, 55, 100) == pytest.approx(0.01 * (0.1 + 0.9 * 0.5))  # half-way down the cosine
    linear = {**config, "lr_schedule": "linear"}
    assert schedule.lr_at(linear, 55, 100) == pytest.approx(0.01 * (1 - 0.9 * 0.5))
    assert schedule.lr_at({**config, "lr_schedule": "constant"}, 90, 100) == 0.01
    assert schedule.lr_at(config, 5, None) == pytest.approx(0.01 * 6 / 50)  # no plan yet: warming up as for 500 steps
    old = {"lr": 0.002, "lr_schedule": "epoch-decay", "lr_decay": 0.9, "lr_decay_after": 6}
    assert [schedule.lr_at(old, 0, None, e) for e in (0, 5, 6, 7)] == pytest.approx([0.002, 0.002, 0.0018, 0.00162])
    assert schedule.lr_at({**config, "warmup": 0}, 0, 100) == 0.01


def test_the_plan_comes_from_the_caps_the_budget_or_the_record():
    assert schedule.cap_plan(50, 3, None) == 150 and schedule.cap_plan(50, 2.5, 100) == 100
    assert schedule.cap_plan(50, None, None) is None
    plan, budget, source = schedule.plan_session(50, 3, None, None, None, 0, None, None)
    assert (plan, budget, source) == (150, None, "caps")
    plan, budget, source = schedule.plan_session(50, None, None, 600.0, 600.0, 0, None, None)
    assert plan is None and budget.limit == budget.session_limit == 600.0 and budget.plans and source == "budget"
    # a session limit without a run budget (--plan-minutes 0) only stops the session: the caps plan
    plan, budget, source = schedule.plan_session(50, 3, None, None, 30.0, 0, None, None)
    assert (plan, source) == (150, "caps") and not budget.plans and budget.session_limit == 30.0
    assert schedule.plan_session(50, None, None, None, None, 70, 130, "budget")[:3:2] == (130, "budget")  # resumed kill
    assert schedule.plan_session(50, None, None, None, None, 0, None, None)[0] == 50 * schedule.DEFAULT_EPOCHS


def test_budget_plan_measures_the_steps_that_fit():
    """Steps of 0.5 s after two slow tracing steps, a 60 s budget of which 10 s went before the first step."""
    plan = schedule.BudgetPlan(60.0, None, first_step=0, cap=None)
    times = [10.0, 14.0] + [14.0 + 0.5 * k for k in range(1, 200)]  # elapsed after each step
    plans = {}
    for step, elapsed in enumerate(times, start=1):
        got = plan.observe(step, elapsed)
        if got is not None:
            plans[step] = got
        if not plan.fits(elapsed):
            break
    first = min(plans)
    assert first == schedule.MEASURE_FROM + schedule.FIRST_ESTIMATE and plan.seconds_per_step == pytest.approx(0.5)
    assert plans[first] == first + int((60.0 - times[first - 1]) / 0.5)
    assert all(v == plans[first] for v in plans.values())  # a steady speed keeps the plan
    assert times[step - 1] <= 60.0 and times[step - 1] + 0.5 > 60.0 - 1e-9  # stopped at the last step that fits
    assert step == plans[first]
    capped = schedule.BudgetPlan(60.0, None, 0, cap=20)
    assert [capped.observe(s, t) for s, t in enumerate(times[:7], 1)][-1] == 20
    session = schedule.BudgetPlan(None, 20.0, 0)  # a session limit alone: measured, never planned
    assert [session.observe(s, t) for s, t in enumerate(times[:9], 1)] == [None] * 9
    assert session.fits(19.4) and not session.fits(19.6) and session.seconds_per_step == pytest.approx(0.5)


def test_budget_counts_from_the_process_start():
    age = schedule.process_age()
    assert 0 < age < time.monotonic() + 1
    clock = schedule.ProcessClock(1.0)
    assert clock.elapsed >= age - 0.05 and clock.limit == 60.0
    cpu = schedule.ProcessClock(1.0, cpu=True, threads=2)
    assert cpu.elapsed == pytest.approx(time.process_time() / 2, abs=0.05)


def test_sizing_grows_with_the_budget_and_stays_small_for_small_corpora():
    sizes = [sizing.choose(m, 1_000_000) for m in (1.8, 10, 60, 600)]
    params = [sizing.parameters(s["layers"], s["units"], s["embed"]) for s in sizes]
    assert params == sorted(params) and params[0] < params[-1]
    assert set(sizes[0]) == set(sizing.KEYS)
    small = sizing.choose(600, 20_000)
    assert sizing.parameters(small["layers"], small["units"], small["embed"]) <= sizing.MAX_PARAMS_PER_CHAR * 20_000 \
        or small == {**sizing.TABLE[0][1], "dropout": small["dropout"]}
    assert small["dropout"] >= 0.2
    assert sizing.choose(None, 1_000_000) == sizing.choose(sizing.NO_BUDGET_MINUTES, 1_000_000)
    assert "10-minute budget" in sizing.describe(10, 1000) and math.isfinite(sizing.TABLE[-2][0])


def test_sequence_lstm_is_keras_lstm_with_its_gradients(tiny):
    """The CPU loop kernel (lstm.SequenceLSTM) gives Keras' outputs, final states and gradients for the same weights."""
    import tensorflow as tf

    from training.poems.model import build_model, set_weights_by_layer, weights_by_layer

    carry, _ = tiny
    loop = build_model(VOCAB, LAYERS, UNITS, embed=3, carry=True, kernel="loop")
    assert [w.shape for w in loop.get_weights()] == [w.shape for w in carry.get_weights()]
    set_weights_by_layer(loop, weights_by_layer(carry))
    rng = np.random.default_rng(2)
    x = rng.integers(0, VOCAB, (3, 9)).astype(np.int32)
    y = rng.integers(0, VOCAB, (3, 9)).astype(np.int32)
    states = [rng.normal(0, 0.5, (3, UNITS)).astype(np.float32) for _ in range(2 * LAYERS)]
    results = []
    for model in (carry, loop):
        with tf.GradientTape() as tape:
            logits, *final = model([x, *states], training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)) + tf.reduce_sum(final[0])
        results.append((logits.numpy(), [f.numpy() for f in final],
                        [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.trainable_variables)]))
    (l1, f1, g1), (l2, f2, g2) = results
    np.testing.assert_allclose(l2, l1, atol=1e-5)
    for a, b in zip(f2, f1):
        np.testing.assert_allclose(a, b, atol=1e-5)
    for a, b in zip(g2, g1):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_bfloat16_loop_kernel_stays_close(tiny):
    """loop-bf16 rounds only the recurrent products' operands: outputs and gradients stay within bfloat16's ~3 digits."""
    import tensorflow as tf

    from training.poems.model import build_model, set_weights_by_layer, weights_by_layer

    carry, _ = tiny
    bf16 = build_model(VOCAB, LAYERS, UNITS, embed=3, carry=True, kernel="loop-bf16")
    set_weights_by_layer(bf16, weights_by_layer(carry))
    x = np.random.default_rng(4).integers(0, VOCAB, (2, 12)).astype(np.int32)
    zeros = [np.zeros((2, UNITS), np.float32)] * (2 * LAYERS)
    grads = []
    for model in (carry, bf16):
        with tf.GradientTape() as tape:
            logits = model([x, *zeros], training=True)[0]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(x, logits))
        grads.append(tape.gradient(loss, model.get_layer("lstm1").trainable_variables[1]).numpy())  # recurrent kernel
        grads.append(logits.numpy())
    np.testing.assert_allclose(grads[3], grads[1], atol=2e-2)
    np.testing.assert_allclose(grads[2], grads[0], atol=2e-2 * np.abs(grads[0]).max() + 1e-6)
    assert bf16.get_layer("lstm1").matmul_dtype == "bfloat16"
