//! Staff operations, one home: every action staff take (moderation, audit, subject rights,
//! retention, statistics) is an [`Operation`] run by [`execute`] for a typed [`Actor`] whose
//! role must grant the operation's permission. The control socket and the command line are
//! thin transports over it; the console will be the next.

mod actor;
mod operations;
mod tell;

pub use actor::{Actor, ActorError, Permission, Role};
pub use operations::{execute, Operation, OperationError, Outcome, MAX_BLOCK_HOURS};
pub use tell::{tell, Told};
