"""Models: stacks of layers that train themselves, with Keras's API (DESIGN 3.2).

    model = Sequential([Dense(64, activation="relu", input_shape=(32,)),
                        Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=5)        # History: history.history["loss"], ...
    loss, acc = model.evaluate(x_test, y_test)
    probs = model.predict(x_test)

    mm = MultimodalModel(encoders={"image": enc_img, "text": enc_txt},
                         fusion=fusion.Concat(), head=Dense(3, activation="softmax"))
    mm.fit({"image": X_img, "text": X_txt}, y)

Every model trains through one loop, :class:`Model`'s ``fit`` and its ``train_step``
(forward → loss → backward → ``optimizer.apply_gradients`` → ``_after_step``); the models
differ only in how data flows: a chain (Sequential), encoders → fusion → head
(MultimodalModel), or two towers meeting in one space (DualEncoder, trained with InfoNCE).
All are themselves Layers, so a Sequential can be an encoder or a head.

One file per concept: ``model.py`` (the loop), ``weights.py`` (parameters, weights in and
out), ``plan.py`` (which layers run backward; the fused softmax + cross-entropy start),
``batching.py``, ``checks.py`` (fit's arguments), ``summary.py``, ``parts.py`` (the walk
over a model's layers), ``sequential.py``, ``multimodal.py``, ``dual_encoder.py``.
"""

from mmlearn.callbacks import Callback, EarlyStopping, History, ProgressBar, TerminateOnNaN
from mmlearn.models.dual_encoder import DualEncoder
from mmlearn.models.model import Model
from mmlearn.models.multimodal import MultimodalModel
from mmlearn.models.sequential import Sequential

__all__ = [
    "Callback", "DualEncoder", "EarlyStopping", "History", "Model", "MultimodalModel",
    "ProgressBar", "Sequential", "TerminateOnNaN",
]
