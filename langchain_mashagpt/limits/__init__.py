"""Energy budgets and rate limits shared through Redis by many processes and machines.

Needs the `redis` extra: `pip install "langchain-mashagpt[redis]"`.

```python
from langchain_mashagpt import ChatMashaGPT
from langchain_mashagpt.limits import RedisEnergyBudget, RedisRateLimiter

budget = RedisEnergyBudget("redis://localhost:6379/0", name="team-a", limit=100_000)
limiter = RedisRateLimiter("redis://localhost:6379/0", name="team-a", requests_per_second=5)
model = ChatMashaGPT(energy_budget=budget, rate_limiter=limiter)
```

See `docs/many-workers.md`.
"""

from langchain_mashagpt.limits._budget import (
    DEFAULT_RESERVATION_TTL,
    BudgetStats,
    RedisEnergyBudget,
)
from langchain_mashagpt.limits._errors import (
    BudgetStoreUnavailableError,
    BudgetStoreUnavailableWarning,
    SharedBudgetExceededError,
)
from langchain_mashagpt.limits._estimate import DEFAULT_MAX_TOKENS, DEFAULT_RATES
from langchain_mashagpt.limits._rate import RedisRateLimiter

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_RATES",
    "DEFAULT_RESERVATION_TTL",
    "BudgetStats",
    "BudgetStoreUnavailableError",
    "BudgetStoreUnavailableWarning",
    "RedisEnergyBudget",
    "RedisRateLimiter",
    "SharedBudgetExceededError",
]
