"""Bridges to other libraries, each behind an optional extra and imported only on request:
``w2v.integrations.spacy`` (vectors into a spaCy pipeline, extra ``spacy``) and
``w2v.integrations.sklearn`` (a scikit-learn document vectorizer, extra ``sklearn``). The
PyTorch embedding is :meth:`w2v.KeyedVectors.to_torch` (extra ``torch``) and the files for
TensorBoard and spaCy's command line are written by :mod:`w2v.io.exports`.

Importing this package imports none of those libraries.

Example
-------
>>> from w2v.integrations.sklearn import Word2VecVectorizer
>>> Word2VecVectorizer(pooling="sif").get_params()["pooling"]
'sif'
"""
