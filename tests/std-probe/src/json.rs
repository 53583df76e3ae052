//! A typed std-mode handler: an order in, a receipt out (serde_json, owned types).

use lambda_bootstrap::{Context, Error};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    id: u64,
    items: Vec<String>,
    /// A quantity as text, parsed with `?`.
    quantity: Option<String>,
}

#[derive(Serialize)]
struct Receipt {
    id: u64,
    count: usize,
    first: Option<String>,
    quantity: u32,
    request_id: String,
}

fn main() {
    lambda_bootstrap::run_json(|ctx: &Context<'_>, order: Order| -> Result<Receipt, Error> {
        let quantity = match order.quantity {
            Some(text) => text.parse()?,
            None => 1,
        };
        Ok(Receipt {
            id: order.id,
            count: order.items.len(),
            first: order.items.into_iter().next(),
            quantity,
            request_id: ctx.request_id.to_string(),
        })
    })
}
