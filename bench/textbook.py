"""The textbook's training loop, rewritten here as the speed baseline.

It follows the book's recipe step by step: a regex tokenizer that moves emoticons to the end,
a vocabulary by frequency, a ``collate_fn`` that tokenizes and encodes every review again for
every batch, batches of 32 reviews of mixed lengths packed with ``pack_padded_sequence``, an
``nn.LSTM`` with a sigmoid output trained with ``BCELoss`` and Adam. It imports nothing from
``sentiment`` (which flushes denormals on import), so it runs as the book's code would.

    python bench/textbook.py --data ../shared/data/imdb --reviews 2000            # one epoch, timed
    python bench/textbook.py --data ../shared/data/imdb --reviews 4000 --full     # + vocabulary, validation, test

Prints one JSON line with the timings and accuracies.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence


def textbook_tokenizer(text: str) -> list[str]:
    text = re.sub(r"<[^>]*>", "", text)
    emoticons = re.findall(r"(?::|;|=)(?:-)?(?:\)|\(|D|P)", text.lower())
    text = re.sub(r"[\W]+", " ", text.lower()) + " ".join(emoticons).replace("-", "")
    return text.split()


class TextbookRNN(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, rnn_hidden_size: int, fc_hidden_size: int, bidirectional: bool):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.rnn = nn.LSTM(embed_dim, rnn_hidden_size, batch_first=True, bidirectional=bidirectional)
        self.bidirectional = bidirectional
        self.fc1 = nn.Linear(rnn_hidden_size * (2 if bidirectional else 1), fc_hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(fc_hidden_size, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, text, lengths):
        out = self.embedding(text)
        out = pack_padded_sequence(out, lengths.cpu().numpy(), enforce_sorted=False, batch_first=True)
        out, (hidden, cell) = self.rnn(out)
        out = torch.cat((hidden[-2], hidden[-1]), dim=1) if self.bidirectional else hidden[-1]
        return self.sigmoid(self.fc2(self.relu(self.fc1(out))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder with train.parquet and test.parquet")
    ap.add_argument("--reviews", type=int, default=2000, help="training reviews (the first N after the seeded split)")
    ap.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument(
        "--full", action="store_true", help="time the whole run: data, vocabulary, epoch, validation and test"
    )
    args = ap.parse_args()
    start = time.perf_counter()
    train_df = pd.read_parquet(Path(args.data) / "train.parquet")
    data = list(zip(train_df["text"], train_df["label"]))
    # the same seeded 20,000 / 5,000 split as sentiment.data.train_valid_split
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(1)).tolist()
    train = [data[i] for i in perm[5000:]][: args.reviews]
    valid = [data[i] for i in perm[:5000]]

    token_counts = Counter()
    for text, _ in train:
        token_counts.update(textbook_tokenizer(text))
    vocab = {"<pad>": 0, "<unk>": 1}
    for tok, _ in sorted(token_counts.items(), key=lambda x: x[1], reverse=True):
        vocab[tok] = len(vocab)

    def collate_batch(batch):
        labels, texts, lengths = [], [], []
        for text, label in batch:
            ids = torch.tensor([vocab.get(t, 1) for t in textbook_tokenizer(text)], dtype=torch.int64)
            labels.append(label)
            texts.append(ids)
            lengths.append(ids.size(0))
        return pad_sequence(texts, batch_first=True), torch.tensor(labels, dtype=torch.float32), torch.tensor(lengths)

    torch.manual_seed(1)
    train_dl = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True, collate_fn=collate_batch)
    valid_dl = torch.utils.data.DataLoader(valid, batch_size=32, shuffle=False, collate_fn=collate_batch)
    model = TextbookRNN(len(vocab), 20, 64, 64, args.bidirectional)
    loss_fn = nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)

    def evaluate(dl):
        model.eval()
        correct = 0
        with torch.no_grad():
            for text_batch, label_batch, lengths in dl:
                pred = model(text_batch, lengths)[:, 0]
                correct += ((pred >= 0.5).float() == label_batch).float().sum().item()
        return correct / len(dl.dataset)

    epoch_start = time.perf_counter()
    model.train()
    correct = 0
    for text_batch, label_batch, lengths in train_dl:
        optimizer.zero_grad()
        pred = model(text_batch, lengths)[:, 0]
        loss = loss_fn(pred, label_batch)
        loss.backward()
        optimizer.step()
        correct += ((pred >= 0.5).float() == label_batch).float().sum().item()
    epoch_seconds = time.perf_counter() - epoch_start
    result = {
        "loop": "textbook",
        "reviews": len(train),
        "tokens": sum(len(textbook_tokenizer(t)) for t, _ in train),
        "epoch_seconds": round(epoch_seconds, 2),
        "train_accuracy": correct / len(train),
    }
    result["valid_accuracy"] = evaluate(valid_dl)
    if args.full:
        test_df = pd.read_parquet(Path(args.data) / "test.parquet")
        test_dl = torch.utils.data.DataLoader(
            list(zip(test_df["text"], test_df["label"])), batch_size=32, collate_fn=collate_batch
        )
        result["test_accuracy"] = evaluate(test_dl)
        result["total_seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
