@risk
Feature: Risk — reversal (冲正) after a lost or untrusted reply
  When a terminal cannot be sure the acquirer's approval reached it intact — no reply, the power
  went, or the reply's MAC is wrong — it must reverse the transaction: send 0400 with the original
  trace number and the reason, before any other transaction, exactly once, so that the cardholder is
  never charged for a sale the merchant thinks failed.

  @CUP-RSK-010 @severity:blocker @mandatory @contact @printer
  Scenario: Host timeout leads to a reversal and no double charge
    Given the host will not answer the next sale request
    When a sale of 300.00 is made with card UP-DEBIT-IC by inserting
    Then the screen shows "交易超时"
    And no voucher is printed
    When a sale of 12.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a reversal of the first sale with reason "98"
    And the reversal reached the host before the next sale request
    And the host received exactly 1 reversal
    And the card UP-DEBIT-IC is debited 12.00

  @CUP-RSK-011 @severity:blocker @mandatory @contact
  Scenario: Power cut while waiting for the host leads to a reversal after restart
    Given the host will not answer the next sale request
    When the operator selects "消费"
    And the operator enters the amount 400.00
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    And the host has received the sale request
    And the terminal loses power
    And the power comes back
    And a sale of 13.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a reversal of the first sale with reason "98"
    And the reversal reached the host before the next sale request
    And the card UP-DEBIT-IC is debited 13.00

  @CUP-RSK-012 @severity:blocker @mandatory @contact @printer
  Scenario: A reply with a wrong MAC is not trusted: failure shown, reversal with reason A0
    Given the host will corrupt the MAC of its reply to the next sale request
    When a sale of 250.00 is made with card UP-DEBIT-IC by inserting
    Then no screen showed "交易成功"
    And no voucher is printed
    When a sale of 14.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a reversal of the first sale with reason "A0"
    And the reversal reached the host before the next sale request
    And the card UP-DEBIT-IC is debited 14.00
    # §3.6 / §3.8 do not depend on how the card was read: a swiped card (no F55) or a tap the same.
    And a sale by each other entry method the terminal offers, its reply with a corrupted MAC, is not approved and is reversed

  # cup8583.md §3.6: the reply's MTI must be the request's + 10 (解包消息码不符 otherwise); §3.8: only a valid
  # reply deletes the reversal record, so the sale the host booked is reversed before the next transaction.
  @CUP-RSK-025 @severity:critical @mandatory @contact @printer
  Scenario: A reply of the wrong message type is not taken as the answer: no approval, the sale is reversed
    Given the host will answer the next sale request with the wrong message type
    When a sale of 26.00 is made with card UP-DEBIT-IC by inserting
    Then no screen showed "交易成功"
    And no voucher is printed
    When a sale of 15.00 is made with card UP-DEBIT-IC by inserting
    Then the card UP-DEBIT-IC is debited 15.00
    And a sale by each other entry method the terminal offers, its reply of the wrong message type, is not approved and is reversed

  # No connection at all: nothing reached the acquirer, so there is nothing to reverse (cup8583.md §3.8),
  # but the terminal must end the sale unapproved and say why (TTP 1.1 §7.6 outcome comm-error: "no
  # usable host reply: no connection"; the words on its screen are its own), charging nobody.
  @CUP-RSK-026 @severity:critical @mandatory @contact @printer
  Scenario: A host the terminal cannot reach: the failure is reported, nothing is charged, no voucher
    Given the terminal is given a host address where nothing listens
    When a sale of 27.00 is made with card UP-DEBIT-IC by inserting
    Then the terminal reports that it could not reach the host
    And no screen showed "交易成功"
    And no voucher is printed
    And the host received no financial request
    And the balance of card UP-DEBIT-IC is unchanged

  @CUP-RSK-013 @severity:critical @mandatory @contact
  Scenario: The reversal is sent exactly once even if the terminal is restarted
    Given the host will not answer the next sale request
    When a sale of 310.00 is made with card UP-DEBIT-IC by inserting
    And a sale of 15.00 is made with card UP-DEBIT-IC by inserting
    And the terminal is power cycled
    And a sale of 16.00 is made with card UP-DEBIT-IC by inserting
    Then the host received exactly 1 reversal
    And the card UP-DEBIT-IC is debited 31.00

  @CUP-RSK-014 @severity:normal @mandatory @contact
  Scenario: Connection closed by the host is handled like a timeout
    Given the host will close the connection on the next sale request
    When a sale of 320.00 is made with card UP-DEBIT-IC by inserting
    Then no screen showed "交易成功"
    When a sale of 17.00 is made with card UP-DEBIT-IC by inserting
    Then the host received a reversal of the first sale with reason "98"
    And the card UP-DEBIT-IC is debited 17.00

  # The void that got no reply did not happen (it is reversed, cup8583.md §3.8), so the sale stands
  # and can still be voided: the next void goes after the reversal and the acquirer approves it.
  @CUP-RSK-015 @severity:critical @mandatory @contact
  Scenario: A void that gets no reply is reversed as well
    Given a sale of 90.00 was approved for card UP-DEBIT-IC by inserting
    And the host will not answer the next void request
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting
    Then no screen showed "交易成功"
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a reversal of the first void with reason "98"
    And the balance of card UP-DEBIT-IC is unchanged
