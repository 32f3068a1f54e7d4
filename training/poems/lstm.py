"""The LSTM layer the trainer reads sequences with on a CPU (this module imports TensorFlow).

`SequenceLSTM` is Keras' LSTM — the same weights (kernel [in, 4u], recurrent_kernel [u, 4u],
bias [4u]; gates i, f, c, o; sigmoid gates, tanh cell), the same names and order, so
weights copy by layer name to the Keras LSTM of the exported one-step model — computed
differently: the input projection of all time steps is one matrix product before the
recurrence, and the backward pass is written out (`tf.custom_gradient`): one loop back
through time that only multiplies by the recurrent kernel, after which the kernels'
gradients are one product each over all steps. Keras' own LSTM accumulates them step by
step. On 2 CPU cores this takes about 10% less CPU time for a 512-unit layer at the
same loss; on a GPU Keras' cuDNN kernel is faster (`--lstm-kernel keras`). `--lstm-kernel
loop-bf16` rounds the recurrent products' operands to bfloat16 (float32 sums; the weights,
the state and everything else stay float32), which CPUs with AVX512-BF16 multiply faster.
"""
from __future__ import annotations

import tensorflow as tf
import tf_keras as keras


def matmul_as(dtype):
    """tf.matmul with the operands rounded to `dtype` (float32: as they are), the product in float32."""
    if dtype == tf.float32:
        return tf.matmul
    return lambda a, b, **kw: tf.cast(tf.matmul(tf.cast(a, dtype), tf.cast(b, dtype), **kw), tf.float32)


def lstm_sequence(xp, h0, c0, recurrent, matmul_dtype=tf.float32):
    """LSTM over time-major input projections xp [T, B, 4u] (x @ kernel + bias) from (h0, c0):
    (h of every step [T, B, u], last h, last c). `matmul_dtype` bfloat16 rounds the operands
    of the recurrent products (forward and backward) to bfloat16."""
    return _SEQUENCES[tf.as_dtype(matmul_dtype).name](xp, h0, c0, recurrent)


def _sequence(matmul):
    @tf.custom_gradient
    def sequence(xp, h0, c0, recurrent):
        return _forward_backward(matmul, xp, h0, c0, recurrent)

    return sequence


def _forward_backward(matmul, xp, h0, c0, recurrent):
    steps = tf.shape(xp)[0]
    hs, cs, gs = (tf.TensorArray(xp.dtype, size=steps) for _ in range(3))

    def forward(t, h, c, hs, cs, gs):
        z = xp[t] + matmul(h, recurrent)
        i, f, g, o = tf.split(z, 4, axis=1)
        i, f, g, o = tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)
        c = f * c + i * g
        h = o * tf.tanh(c)
        return t + 1, h, c, hs.write(t, h), cs.write(t, c), gs.write(t, tf.concat([i, f, g, o], 1))

    _, h_last, c_last, hs, cs, gs = tf.while_loop(lambda t, *_: t < steps, forward, (0, h0, c0, hs, cs, gs))
    h_all, c_all, gates = hs.stack(), cs.stack(), gs.stack()

    def backward(d_h_all, d_h_last, d_c_last):
        c_prev = tf.concat([c0[None], c_all[:-1]], 0)
        d_z = tf.TensorArray(xp.dtype, size=steps)

        def step_back(t, dh_next, dc_next, d_z):
            i, f, g, o = tf.split(gates[t], 4, axis=1)
            tanh_c = tf.tanh(c_all[t])
            dh = d_h_all[t] + dh_next
            dc = dc_next + dh * o * (1.0 - tanh_c * tanh_c)
            dz = tf.concat([dc * g * i * (1.0 - i), dc * c_prev[t] * f * (1.0 - f), dc * i * (1.0 - g * g),
                            dh * tanh_c * o * (1.0 - o)], 1)
            return t - 1, matmul(dz, recurrent, transpose_b=True), dc * f, d_z.write(t, dz)

        zero = tf.zeros_like(h0)
        _, d_h0, d_c0, d_z = tf.while_loop(
            lambda t, *_: t >= 0, step_back,
            (steps - 1, zero if d_h_last is None else d_h_last, zero if d_c_last is None else d_c_last, d_z))
        d_z = d_z.stack()
        h_prev = tf.concat([h0[None], h_all[:-1]], 0)
        units = tf.shape(recurrent)[0]
        d_recurrent = matmul(tf.reshape(h_prev, [-1, units]), tf.reshape(d_z, [-1, 4 * units]), transpose_a=True)
        return d_z, d_h0, d_c0, d_recurrent

    return (h_all, h_last, c_last), backward


_SEQUENCES = {"float32": _sequence(matmul_as(tf.float32)), "bfloat16": _sequence(matmul_as(tf.bfloat16))}


class SequenceLSTM(keras.layers.Layer):
    """inputs [B, T, in] and initial_state [h, c] -> (outputs [B, T, u], h, c), as
    keras.layers.LSTM(units, return_sequences=True, return_state=True)."""

    def __init__(self, units: int, matmul_dtype: str = "float32", **kwargs):
        super().__init__(**kwargs)
        self.units, self.matmul_dtype = units, matmul_dtype

    def build(self, input_shape):
        units = self.units

        def forget_bias_one(shape, dtype=None):
            return tf.concat([tf.zeros([units]), tf.ones([units]), tf.zeros([2 * units])], 0)

        self.kernel = self.add_weight(name="kernel", shape=(int(input_shape[-1]), 4 * units),
                                      initializer="glorot_uniform")
        self.recurrent_kernel = self.add_weight(name="recurrent_kernel", shape=(units, 4 * units),
                                                initializer="orthogonal")
        self.bias = self.add_weight(name="bias", shape=(4 * units,), initializer=forget_bias_one)
        super().build(input_shape)

    def call(self, inputs, initial_state):
        xp = tf.einsum("bti,ig->tbg", inputs, self.kernel) + self.bias
        h_all, h, c = lstm_sequence(xp, initial_state[0], initial_state[1], tf.convert_to_tensor(self.recurrent_kernel),
                                    self.matmul_dtype)
        return tf.transpose(h_all, [1, 0, 2]), h, c

    def get_config(self):
        return {**super().get_config(), "units": self.units, "matmul_dtype": self.matmul_dtype}
