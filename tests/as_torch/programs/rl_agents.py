"""Reinforcement-learning updates as CleanRL and PyTorch's DQN tutorial write them, on fixed
NumPy rollouts: a PPO step (orthogonal init, ``Categorical(logits=...)`` from
``torch.distributions.categorical``, clipped policy and value losses, ``clip_grad_norm_``, LR
annealing through ``param_groups``) and a DQN step (``torch.FloatTensor`` states, a ``bool``
mask from ``map``, ``gather``, ``SmoothL1Loss``, ``clip_grad_value_``, AdamW with amsgrad, a soft
target update over ``state_dict()``). The rewards are NumPy float64 scalars, so
``torch.tensor(rewards)`` is float64 as in PyTorch."""

import copy

import numpy as np
import torch
from torch import nn, optim
from torch.distributions.categorical import Categorical


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):  # noqa: B008 (CleanRL's spelling)
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(4, 16)), nn.Tanh(), layer_init(nn.Linear(16, 1), std=1.0)
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(4, 16)), nn.Tanh(), layer_init(nn.Linear(16, 2), std=0.01)
        )

    def get_action_and_value(self, x, action):
        probs = Categorical(logits=self.actor(x))
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


class DQN(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, x):
        return self.layers(x)


def make():
    rng = np.random.default_rng(3)
    data = {
        "obs": rng.standard_normal((32, 4)).astype(np.float32),
        "actions": rng.integers(0, 2, 32),
        "rewards": [np.float64(r) for r in rng.random(32)],
        "dones": rng.random(32) < 0.1,
        "perm": [rng.permutation(32) for _ in range(4)],
    }
    return {"agent": Agent(), "policy_net": DQN()}, data


def train(models, data, steps):
    agent, policy_net = models["agent"], models["policy_net"]
    out = {}
    # PPO: returns from float64 rewards, GAE backwards into preallocated buffers
    obs = torch.Tensor(data["obs"])
    actions = torch.as_tensor(data["actions"])
    rewards = torch.tensor(data["rewards"])
    out["rewards_is_float64"] = float(rewards.dtype == torch.float64)
    dones = torch.Tensor(data["dones"])
    with torch.no_grad():
        _, logprobs, _, values = agent.get_action_and_value(obs, actions)
        values = values.flatten()
    advantages = torch.zeros(32)
    lastgaelam = 0
    for t in reversed(range(32)):
        nextvalues = values[t + 1] if t < 31 else 0.0
        nextnonterminal = 1.0 - dones[t]
        delta = rewards[t] + 0.99 * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + 0.99 * 0.95 * nextnonterminal * lastgaelam
    returns = advantages + values
    optimizer = optim.Adam(agent.parameters(), lr=2.5e-3, eps=1e-5)
    ppo_losses, clipfracs = [], []
    for i in range(steps):
        optimizer.param_groups[0]["lr"] = (1.0 - i / steps) * 2.5e-3
        mb = data["perm"][i % 4][:16]
        _, newlogprob, entropy, newvalue = agent.get_action_and_value(obs[mb], actions[mb])
        ratio = (newlogprob - logprobs[mb]).exp()
        clipfracs.append(((ratio - 1.0).abs() > 0.2).float().mean().item())
        mb_adv = advantages[mb]
        mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
        pg_loss = torch.max(-mb_adv * ratio, -mb_adv * torch.clamp(ratio, 0.8, 1.2)).mean()
        newvalue = newvalue.view(-1)
        v_clipped = values[mb] + torch.clamp(newvalue - values[mb], -0.2, 0.2)
        v_loss = (
            0.5 * torch.max((newvalue - returns[mb]) ** 2, (v_clipped - returns[mb]) ** 2).mean()
        )
        loss = pg_loss - 0.01 * entropy.mean() + 0.5 * v_loss
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
        optimizer.step()
        ppo_losses.append(loss.item())
    out.update({"ppo_loss": ppo_losses, "clipfrac": clipfracs, "returns": returns})
    out.update({f"agent.{n}": p for n, p in agent.named_parameters()})
    # DQN: the tutorial's optimize_model on a batch with terminal states
    target_net = copy.deepcopy(policy_net)
    optimizer = optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
    states = [torch.FloatTensor(o).unsqueeze(0) for o in data["obs"]]
    next_states = [None if d else s * 0.5 for s, d in zip(states, data["dones"])]
    dqn_losses = []
    for _ in range(steps):
        non_final_mask = torch.tensor(
            tuple(map(lambda s: s is not None, next_states)), dtype=torch.bool
        )
        non_final_next_states = torch.cat([s for s in next_states if s is not None])
        state_batch = torch.cat(states)
        action_batch = actions.view(-1, 1)
        state_action_values = policy_net(state_batch).gather(1, action_batch)
        next_state_values = torch.zeros(32)
        with torch.no_grad():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
        expected = (next_state_values * 0.99) + rewards
        loss = nn.SmoothL1Loss()(state_action_values, expected.unsqueeze(1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        optimizer.step()
        dqn_losses.append(loss.item())
        target_dict, policy_dict = target_net.state_dict(), policy_net.state_dict()
        for key in policy_dict:
            target_dict[key] = policy_dict[key] * 0.005 + target_dict[key] * (1 - 0.005)
        target_net.load_state_dict(target_dict)
    out["dqn_loss"] = dqn_losses
    out.update({f"target.{n}": p for n, p in target_net.named_parameters()})
    return out
