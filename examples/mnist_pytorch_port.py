# ruff: noqa: UP008, UP032 - the PyTorch example's own code, kept as it is written there
"""PyTorch's canonical MNIST example (pytorch/examples, mnist/main.py) running on this library.

Net, train() and test() are PyTorch's code as it stands there: Conv2d, Dropout, max_pool2d,
log_softmax + nll_loss, Adadelta, StepLR, argmax / eq / view_as. What changed: the imports (this
library in torch's place), the device lines (CPU only) and the data lines: the 5,000 real MNIST
digits of data.load_mnist_5k (4,000 to train, 1,000 to test) instead of torchvision's download,
normalised as the example's transform does. Added: --smoke (a few hundred images, one epoch).

Run: python examples/mnist_pytorch_port.py [--epochs 3] [--smoke]   (needs the mnist5k extra)
"""

import argparse

import tinygrad_conv as torch  # the changed imports: this library where torch was
import tinygrad_conv.nn as nn
import tinygrad_conv.nn.functional as F
import tinygrad_conv.optim as optim
from tinygrad_conv.data import DataLoader, TensorDataset, load_mnist_5k
from tinygrad_conv.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(
                "Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch,
                    batch_idx * len(data),
                    len(train_loader.dataset),
                    100.0 * batch_idx / len(train_loader),
                    loss.item(),
                )
            )
            if args.dry_run:
                break


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)

    print(
        "\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n".format(
            test_loss, correct, len(test_loader.dataset), 100.0 * correct / len(test_loader.dataset)
        )
    )
    return correct / len(test_loader.dataset)


def main():
    # Training settings
    parser = argparse.ArgumentParser(description="PyTorch MNIST Example")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        metavar="N",
        help="input batch size for training (default: 64)",
    )
    parser.add_argument(
        "--test-batch-size",
        type=int,
        default=1000,
        metavar="N",
        help="input batch size for testing (default: 1000)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=14,
        metavar="N",
        help="number of epochs to train (default: 14)",
    )
    parser.add_argument(
        "--lr", type=float, default=1.0, metavar="LR", help="learning rate (default: 1.0)"
    )
    parser.add_argument(
        "--gamma",
        type=float,
        default=0.7,
        metavar="M",
        help="Learning rate step gamma (default: 0.7)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", default=False, help="quickly check a single pass"
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    parser.add_argument(
        "--log-interval",
        type=int,
        default=10,
        metavar="N",
        help="how many batches to wait before logging training status",
    )
    parser.add_argument(
        "--save-model", action="store_true", default=False, help="For Saving the current Model"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        default=False,
        help="the first 320 training and 200 test images, one epoch",
    )
    args = parser.parse_args()

    torch.manual_seed(args.seed)

    device = "cpu"

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}

    # The data lines: 5,000 real MNIST digits, normalised as transforms.Normalize((0.1307,),
    # (0.3081,)) does after ToTensor().
    x_train, y_train, x_test, y_test = load_mnist_5k()
    if args.smoke:
        x_train, y_train, x_test, y_test = x_train[:320], y_train[:320], x_test[:200], y_test[:200]
        args.epochs = 1
    dataset1 = TensorDataset((x_train - 0.1307) / 0.3081, y_train)
    dataset2 = TensorDataset((x_test - 0.1307) / 0.3081, y_test)
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        accuracy = test(model, device, test_loader)
        scheduler.step()

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
    print(f"final test accuracy {accuracy:.4f}")


if __name__ == "__main__":
    main()
