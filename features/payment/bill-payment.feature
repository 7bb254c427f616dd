@payment
Feature: Payment — bill payment (缴费)
  In a 缴费 the cardholder pays a third party (utility, telecom). The terminal must show the payee
  and amount for confirmation before the card is read, send the payee to the acquirer, and print a
  two-copy voucher that names the payee. The payee usually comes from the billing system through
  the cash register (ECR); a terminal with an alpha keypad also lets the operator type it.

  @CUP-PAY-010 @severity:critical @mandatory @printer @contact @acquirer-profile
  Scenario: 缴费 with the payee confirmed on screen, a two-copy voucher and the debit booked
    When the cash register requests a bill payment of 128.50 to "国网上海市电力公司" account "310000123456"
    Then the screen shows "国网上海市电力公司"
    And the screen shows "310000123456"
    And the screen shows "128.50"
    When the operator confirms
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows "交易成功"
    And the cash register receives an approval
    And the host received a bill payment request
    And its amount is 128.50
    And it names the payee "国网上海市电力公司" with account "310000123456"
    And its MAC is present and valid
    And it carries an encrypted PIN block
    And the host approved it
    And the card UP-DEBIT-IC is debited 128.50
    And the declared voucher copies are printed
    And every copy shows "国网上海市电力公司"
    And every copy shows "310000123456"
    And every copy shows the amount 128.50
    And every amount on every copy is one the host booked
    And no copy names another kind of transaction
    And the merchant copy has a signature line

  @CUP-PAY-011 @severity:normal @mandatory @printer
  Scenario: 缴费 abandoned at the confirmation screen — nothing is sent, nothing is charged
    When the cash register requests a bill payment of 99.00 to "中国移动上海公司" account "13800138000"
    Then the screen shows "中国移动上海公司"
    When the operator cancels
    # CANCEL (取消) ends the 缴费 there: the terminal does not go on to the card.
    Then no screen asked for a card
    And the host received no financial request
    And the balance of card UP-DEBIT-IC is unchanged
    And no voucher is printed

  # An ECR-started 缴费 that ends without approval is still a result (TTP §6.9 1.1: ok, approved false, its
  # outcome), whatever ended it: here a reply whose MAC fails (cup8583.md §5.3), which the terminal must not
  # trust (it reverses it with reason A0, judged after every transaction).
  @CUP-PAY-045 @severity:normal @mandatory @contact @acquirer-profile
  Scenario: A 缴费 from the cash register whose reply cannot be trusted tells the register it failed
    Given the host will corrupt the MAC of its reply to the next bill payment request
    When the cash register requests a bill payment of 36.00 to "上海自来水" account "2200334455"
    And the operator confirms
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the cash register receives a failure

  @CUP-PAY-012 @severity:normal @optional @contactless @acquirer-profile
  Scenario: 缴费 by tap, started by the cash register
    When a bill payment of 45.00 to "上海燃气" account "2100998877" is made with card UP-DEBIT-CTLS by tapping
    Then the screen shows "交易成功"
    And the host received a bill payment request
    And its card was read by tapping
    And the card UP-DEBIT-CTLS is debited 45.00

  @CUP-PAY-013 @severity:normal @optional @contact @acquirer-profile
  Scenario: Void of a 缴费
    Given a bill payment of 60.00 to "上海自来水" account "3300112233" was approved for card UP-DEBIT-IC
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a void request
    And it refers to the original transaction
    And the balance of card UP-DEBIT-IC is unchanged

  # The payee name is typed as free text (TTP `key` with the `x-text` vendor extension): a terminal
  # whose firmware takes no free text over TTP fails this case with a harness error saying so.
  @CUP-PAY-014 @severity:normal @optional @contact @printer @acquirer-profile
  Scenario: 缴费 with the payee typed on the terminal's keypad
    When the operator selects "缴费"
    And the operator enters the amount 66.00
    And the operator enters the payee name "上海燃气"
    And the operator enters the payee account "2100998877"
    Then the screen shows "上海燃气"
    And the screen shows "2100998877"
    When the operator confirms
    And the cardholder inserts card UP-DEBIT-IC
    And the cardholder enters the correct PIN
    Then the screen shows "交易成功"
    And the host received a bill payment request
    And it names the payee "上海燃气" with account "2100998877"
    And every copy shows "上海燃气"
